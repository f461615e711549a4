"""Go values in gdb: the printers, Go types, containers, indexing, expressions rewritten for
gdb's print and watch. They import only the base layer.
"""
