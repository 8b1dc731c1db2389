"""Workflow tests: synthesized templates deployed into the local emulator and executed."""
