# py_files: a Python program built natively for WASI 0.2 by componentize-py
# (see build.sh). It writes, appends, renames, reads and lists files under the
# directory given as its first argument, and reads a file of the fixture.
import os
import sys

from wit_world import exports


class Run(exports.Run):
    def run(self) -> None:
        root = sys.argv[1]
        p = lambda *parts: os.path.join(root, *parts)
        os.makedirs(p("py", "sub"), exist_ok=True)
        with open(p("py", "a.txt"), "w") as f:
            f.write("hello from python\n")
        with open(p("py", "a.txt"), "a") as f:
            f.write("appended\n")
        os.rename(p("py", "a.txt"), p("py", "sub", "b.txt"))
        with open(p("py", "sub", "b.txt")) as f:
            print(f.read(), end="")
        print("size", os.stat(p("py", "sub", "b.txt")).st_size)
        try:
            open(p("py", "a.txt"))
        except FileNotFoundError:
            print("old name gone")
        os.remove(p("py", "sub", "b.txt"))
        os.rmdir(p("py", "sub"))
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            print(rel, sorted(filenames))
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    with open(path, "rb") as f:
                        print(" ", name, len(f.read()))
        with open(p("py", "done.txt"), "w") as f:
            f.write("ok\n")
