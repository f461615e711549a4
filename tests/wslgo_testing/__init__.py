"""Test support shared by the pytest modules (through conftest.py) and the benches: gdb
invocation, Go versions, cores, Go traceback parsing and fixture source markers.

Test modules import from here, never from each other.
"""
