// The second QuickJS workload: a directory of 3,000 entries listed, thinned
// and listed again; a sparse 10 MiB file read inside its hole; a 3 MiB file
// written and read back; os.sleep; and stdin read through a read handler
// (poll_oneoff on fd 0).  Run as `qjs bulk.js /w` with some text on stdin.
import * as std from "qjs:std";
import * as os from "qjs:os";

const root = scriptArgs[1];
const say = (...parts) => console.log(parts.map(String).join(" "));

say("isatty", os.isatty(0), os.isatty(1), os.isatty(99));
say("env", std.getenv("HOME"), std.getenv("NO_SUCH_VAR"));
say("strerror", std.strerror(2), std.strerror(44));

os.mkdir(`${root}/many`);
for (let i = 0; i < 3000; i++) std.open(`${root}/many/entry-${i}`, "w").close();
say("many", os.readdir(`${root}/many`)[0].length);
for (let i = 0; i < 3000; i += 2) os.remove(`${root}/many/entry-${i}`);
const left = os.readdir(`${root}/many`)[0].filter((n) => n.startsWith("entry-"));
say("many after", left.length, left.every((n) => Number(n.slice(6)) % 2 === 1));

const fd = os.open(`${root}/sparse.bin`, os.O_RDWR | os.O_CREAT, 0o644);
os.seek(fd, 10 * 1024 * 1024, std.SEEK_SET);
os.write(fd, new Uint8Array([1, 2, 3]).buffer, 0, 3);
os.seek(fd, 5000000, std.SEEK_SET);
const hole = new Uint8Array(8).fill(9);
say("hole", os.read(fd, hole.buffer, 0, 8), hole.join(""));
os.close(fd);
say("sparse size", os.stat(`${root}/sparse.bin`)[0].size);

const big = "y".repeat(3 * 1024 * 1024);
const out = std.open(`${root}/big.txt`, "w");
out.puts(big);
out.close();
say("big", std.loadFile(`${root}/big.txt`) === big);

os.sleep(10);
let got = "";
os.setReadHandler(0, () => {
  const buf = new Uint8Array(7);
  const n = os.read(0, buf.buffer, 0, buf.length);
  if (n <= 0) {
    os.setReadHandler(0, null);
    say("stdin", JSON.stringify(got));
    say("done");
    return;
  }
  got += String.fromCharCode(...buf.slice(0, n));
});
