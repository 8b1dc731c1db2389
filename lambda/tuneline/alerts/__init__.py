"""Alert messages: plain-text SNS subjects and bodies for every pipeline event."""
