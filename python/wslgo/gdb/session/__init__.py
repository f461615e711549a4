"""The session features: gdb events, stops, stepping, following a goroutine, the internal
breakpoints, panics, results. They import the layers below (base, printers, cmds).
"""
