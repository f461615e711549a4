# wslgo: gdb companion for Go programs. Put this line in ~/.gdbinit:
#     source /path/to/wslgo.py
# (`wslgo gdbinit` prints the exact line; `wslgo gdbinit --install` adds it.)
#
# gdb embeds its own Python, usually not the one pip installed wslgo into. This loader finds
# the package in order: a normal import (absolute sys.path entries only); $WSLGO_PATH (dirs
# holding the `wslgo` package); the site-packages this file was installed into; the site
# where the `python3` on PATH has the wslgo distribution installed. Nothing is imported from
# the current directory: that python3 is looked up in absolute PATH entries only and runs
# isolated (`-I`, cwd /), and only the location its installed distribution's metadata names
# is used. If none works it prints one line saying what to run and leaves gdb alone.
# ruff: noqa: E402


def _wslgo_bootstrap() -> None:
    import importlib.util
    import os
    import sys

    import gdb

    def purge() -> None:
        for name in [m for m in sys.modules if m == "wslgo" or m.startswith("wslgo.")]:
            del sys.modules[name]

    def check() -> object:
        # '' and relative sys.path entries name the current directory: never import there.
        saved = sys.path[:]
        sys.path[:] = [p for p in saved if p and os.path.isabs(p)]
        try:
            import wslgo
            import wslgo._native  # noqa: F401  (the part that can be built for the wrong ABI)
        finally:
            sys.path[:] = saved
        return wslgo

    def load_from(path: str) -> object:
        init = os.path.join(path, "wslgo", "__init__.py")
        if not os.path.isfile(init):
            raise ImportError(f"no wslgo package in {path}")
        purge()
        spec = importlib.util.spec_from_file_location(
            "wslgo", init, submodule_search_locations=[os.path.dirname(init)]
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {init}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["wslgo"] = module
        spec.loader.exec_module(module)
        return check()

    def trusted_python3() -> str:
        # Absolute PATH entries only: '', '.' and relative entries name the current directory.
        for d in os.environ.get("PATH", "").split(os.pathsep):
            exe = os.path.join(d, "python3")
            if d and os.path.isabs(d) and os.path.isfile(exe) and os.access(exe, os.X_OK):
                return exe
        return ""

    def python3_site() -> list[str]:
        import subprocess  # only on this fallback path: it costs ~10 ms to import

        exe = trusted_python3()
        if not exe:
            return []
        # Where the installed *distribution* put wslgo/__init__.py (its RECORD), not what a
        # bare `import wslgo` would find; -I: no cwd, user site or PYTHON* variables.
        code = (
            "import importlib.metadata as m, os\n"
            "try:\n d = m.distribution('wslgo')\n"
            "except m.PackageNotFoundError:\n raise SystemExit(0)\n"
            "for f in d.files or ():\n"
            " if f.as_posix() == 'wslgo/__init__.py':\n"
            "  print(os.path.dirname(os.path.dirname(os.path.abspath(d.locate_file(f)))))\n"
            "  break\n"
        )
        try:
            out = subprocess.run(
                [exe, "-I", "-c", code],
                capture_output=True,
                text=True,
                timeout=15,
                cwd="/",
                stdin=subprocess.DEVNULL,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return []
        return [out] if out and os.path.isabs(out) else []

    errors: list[str] = []
    mod = None
    try:
        mod = check()
    except ImportError as e:
        errors.append(f"import: {e}")
        purge()
    if mod is None:
        here = globals().get("__file__")
        recorded: list[str] = []
        if here:
            # .../site-packages/wslgo/gdbinit/wslgo.py -> .../site-packages
            recorded.append(
                os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(here))))
            )
        env = [p for p in os.environ.get("WSLGO_PATH", "").split(os.pathsep) if p]
        seen: set[str] = set()
        for source, paths in (("WSLGO_PATH", env), ("install path", recorded), ("python3", None)):
            for path in paths if paths is not None else python3_site():
                if path in seen:
                    continue
                seen.add(path)
                try:
                    mod = load_from(path)
                    break
                except Exception as e:  # ImportError, or an OSError from a broken .so
                    errors.append(f"{source} {path}: {e}")
                    purge()
            if mod is not None:
                break
    if mod is None:
        why = errors[-1] if errors else "not installed"
        why = " ".join(str(why).split())[:200]
        gdb.write(
            "wslgo: cannot load the wslgo package or its native module "
            f"({why}); run `pip install wslgo` (or `pip install .` in a checkout) and "
            "check `wslgo gdbinit`, or set WSLGO_PATH to the site-packages holding it\n",
            gdb.STDERR,
        )
        return
    try:
        from wslgo.gdb import setup

        setup()
    except Exception as e:  # never take gdb down while sourcing ~/.gdbinit
        gdb.write(f"wslgo: setup failed: {' '.join(str(e).split())[:300]}\n", gdb.STDERR)


_wslgo_bootstrap()
del _wslgo_bootstrap
