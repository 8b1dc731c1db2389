"""Tiny handlers for the emulator's self-test stack (not product code)."""
