"""The user-facing commands (wslgo-bt, wslgo-goroutine, wslgo-waits, wslgo-leaks, wslgo-report,
the WSL commands, runtime-gdb.py compatibility): they import the base layer and printers.
"""
