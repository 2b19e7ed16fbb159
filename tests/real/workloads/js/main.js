// The QuickJS workload: the `qjs:os` and `qjs:std` modules over the lower
// layer and new files: directories made, listed, renamed and removed, times
// set and read back, low-level fds, FILE streams, a relative path after
// chdir, timers (poll_oneoff) and stdin.  Run as `qjs main.js /w` with some
// text on stdin.
import * as std from "qjs:std";
import * as os from "qjs:os";

const root = scriptArgs[1];
const p = (name) => `${root}/${name}`;
const say = (...parts) => console.log(parts.map(String).join(" "));
const list = (dir) => {
  const [names, err] = os.readdir(dir);
  return err ? `error ${err}` : names.filter((n) => n !== "." && n !== "..").sort().join(",");
};
const kind = (path) => {
  const [st, err] = os.stat(path);
  if (err) return `error ${err}`;
  const t = st.mode & os.S_IFMT;
  return t === os.S_IFDIR ? "dir" : t === os.S_IFREG ? `file ${st.size}` : `other ${t}`;
};

say("args", scriptArgs.length, os.platform);
say("lower", list(root), "|", list(p("data")), "|", list(p("data/nested")));

// Directories: a tree made, filled, listed.
say("mkdir", os.mkdir(p("out")), os.mkdir(p("out/a")), os.mkdir(p("out/a/b")), os.mkdir(p("out")));
for (let i = 0; i < 40; i++) {
  const f = std.open(p(`out/a/file-${String(i).padStart(2, "0")}.txt`), "w");
  f.printf("%d squared is %d\n", i, i * i);
  f.puts("x".repeat(i * 10));
  f.close();
}
const names = list(p("out/a")).split(",");
say("listed", names.length, names[0], names[names.length - 1]);
say("kinds", kind(p("out/a/file-39.txt")), kind(p("out/a/b")), kind(p("nope")));

// Removing: files, an empty directory, a non-empty one (refused).
for (let i = 0; i < 40; i += 3) os.remove(p(`out/a/file-${String(i).padStart(2, "0")}.txt`));
say("removed", list(p("out/a")).split(",").length, os.remove(p("out/a/b")), os.remove(p("out/a")) < 0);

// Renaming a directory of the lower layer, with its subtree, and a lower file.
say("rename dir", os.rename(p("data/nested"), p("moved")), list(p("data")), list(p("moved")));
say("rename file", os.rename(p("data/a.txt"), p("out/a-renamed.txt")), std.loadFile(p("out/a-renamed.txt")).trim());
say("remove lower", os.remove(p("data/b.txt")), list(p("data")), os.remove(p("data")));

// Times set explicitly and read back (milliseconds).
say("utimes", os.utimes(p("out/a-renamed.txt"), 1000000, 1700000000000));
const [st] = os.stat(p("out/a-renamed.txt"));
say("times", st.atime, st.mtime);

// Low-level fds: exclusive create, write, seek, read back.
const fd = os.open(p("out/raw.bin"), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644);
say("open excl again", os.open(p("out/raw.bin"), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644) < 0);
const bytes = new Uint8Array(4096).map((_, i) => (i * 7) & 255);
say("write", os.write(fd, bytes.buffer, 0, bytes.length));
say("seek", os.seek(fd, 100, std.SEEK_SET), os.seek(fd, 0, std.SEEK_END));
os.seek(fd, 1000, std.SEEK_SET);
const back = new Uint8Array(16);
say("read", os.read(fd, back.buffer, 0, 16), Array.from(back.slice(0, 4)).join(","));
say("close", os.close(fd), os.close(fd) < 0);

// FILE streams: append, then line by line.
const log = std.open(p("out/log.txt"), "a+");
for (let i = 0; i < 5; i++) log.puts(`line ${i}\n`);
log.seek(0, std.SEEK_SET);
const lines = [];
for (let l = log.getline(); l !== null; l = log.getline()) lines.push(l);
say("lines", lines.length, lines[4], log.eof(), log.tell());
log.close();
say("open missing", std.open(p("no/such/file"), "r"));

// A relative path after chdir.
say("chdir", os.chdir(p("out")), os.getcwd()[0]);
const rel = std.open("relative.txt", "w");
rel.puts("written through a relative path\n");
rel.close();
say("relative", kind(p("out/relative.txt")));

// JSON, regexps, dates from fixed times, BigInt.
const data = { n: 12, list: [1, "two", { three: 3 }], nested: { deep: [true, null] } };
say("json", JSON.stringify(data));
say("regexp", "2024-03-15 and 1999-12-31".replace(/(\d+)-(\d+)-(\d+)/g, "$3/$2/$1"));
say("date", new Date(1700000000000).toISOString());
say("bigint", (2n ** 100n).toString(), 7n / 2n);
try {
  null.field;
} catch (e) {
  say("caught", e.constructor.name, e.message);
}

// stdin.
const input = std.in.readAsString();
say("stdin", input.length, input.split("\n").length - 1);

// Timers wait in poll_oneoff.  They are set in the order of their deadlines:
// QuickJS runs due timers in the order they were set, so on a slow machine
// where all are due at once the order is still the same.
const order = [];
os.setTimeout(() => order.push("t0"), 0);
os.setTimeout(() => order.push("t5"), 5);
os.setTimeout(() => order.push("t20"), 20);
(async () => {
  await os.sleepAsync(40);
  order.push("slept");
  say("timers", order.join(","));
  say("done");
})();
