"""Runs the shell examples of the documentation and checks what they print.

Each page runs top to bottom in one bash session against a fresh leadsim
(so variables carry from one example to the next, as they would for a
reader), on a free port that stands in for the pages' `localhost:8080`,
in an empty directory, with the binary under test first on PATH.

An example is a ```console block:

    $ curl -s localhost:8080/__admin/health        <- a command (a line ending in a
    {"status":"ok",…}                                  backslash, or an open quote, continues it)
                                                   <- what it prints, checked
- `…` in an output line matches any text; a line that is only `…` matches
  any number of lines (including none);
- a command followed by no output lines must print nothing;
- an example that prints an error (an HTTP status of 400 or more, or a
  vendor's error body) must say so: in a `$ #` comment above it, a comment
  on its own line, or the prose just before its block (words such as
  "error", "refused", "401"); an error the text does not announce fails;
- a command's continuation lines must not start with `$ ` (pasted, they
  would send the prompt too).

Usage: python3 tests/docs/run.py BINARY PAGE...
  --print: show what each command printed
  --write: put what each command printed into the page, long lines cut
           with `…` (then review the diff: cut what the reader need not see)
"""
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ELLIPSIS = "…"


def examples(path):
    """(line number, command, expected lines) for every command of the page."""
    return examples_of(open(path, encoding="utf-8").read())


def examples_of(text):
    return [(line, command, expected) for line, command, expected, _ in examples_in_context(text)]


def examples_in_context(text):
    """As `examples_of`, each with the text that introduces it: the prose
    paragraph before its block and the `$ #` comments just above it."""
    found = []
    lines = text.split("\n")
    inside = False
    paragraph, prose, comments = [], [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            if line.strip() == "```console":
                # The paragraph that introduces the block.
                prose = paragraph or prose
            inside = line.strip() == "```console"
            paragraph, comments = [], []
            i += 1
            continue
        if not inside:
            if line.strip():
                if not paragraph:
                    prose = []
                paragraph.append(line)
            elif paragraph:
                prose, paragraph = paragraph, []
            i += 1
            continue
        if line.startswith("$ #"):
            comments.append(line)
            i += 1
            continue
        if line.startswith("$ "):
            start = i + 1
            command = line[2:]
            while (command.endswith("\\") or not balanced(command)) and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]
            expected = []
            i += 1
            while i < len(lines) and not lines[i].startswith("$ ") and not lines[i].startswith("```"):
                expected.append(lines[i])
                i += 1
            while expected and expected[-1] == "":
                expected.pop()
            context = "\n".join(prose + comments)
            found.append((start, command, expected, context))
            comments = []
            continue
        i += 1
    return found


# What an error looks like in a page's output: a status line or a bare
# status of 400 or more, or an error body of one of the families.
ERROR_OUTPUT = re.compile(
    r"^HTTP/[0-9.]+ [45][0-9][0-9]\b"
    r"|^[45][0-9][0-9]$"
    r'|"Status":"Error"'
    r'|"ExceptionType":'
    r'|^\{"error":"'
    r'|^\[\{"(attribute|type|message)":'
    r'|^\{"code":"?[0-9]+"?,"(status|message)"'
    r'|"errors":\['
)

# Words that tell the reader an example fails on purpose.
ANNOUNCED = re.compile(
    r"error|refus|reject|fail|invalid|wrong|bad |missing|unknown|not found|denied|unauthori|forbidden"
    r"|too many|limit|conflict|expired|locked|duplicate|\b[45][0-9][0-9]\b|exceeded|throttl|fault",
    re.IGNORECASE,
)


def prints_error(lines):
    return any(ERROR_OUTPUT.search(line) for line in lines)


def problems(command, context, actual):
    """Why an example is wrong whatever it prints matched."""
    found = []
    if any(l.startswith("$ ") for l in command.split("\n")[1:]):
        found.append("a continuation line starts with `$ `: pasted, it sends the prompt too")
    own_comment = " ".join(l for l in command.split("\n") if "#" in l)
    if prints_error(actual) and not ANNOUNCED.search(context + " " + own_comment):
        found.append("prints an error the text around it does not announce")
    return found


def balanced(command):
    """Whether the command's quotes are closed (a quoted script may span lines)."""
    try:
        shlex.split(command, comments=True)
        return True
    except ValueError:
        return False


def line_matches(pattern, actual):
    if ELLIPSIS not in pattern:
        return pattern == actual
    regex = ".*".join(re.escape(part) for part in pattern.split(ELLIPSIS))
    return re.fullmatch(regex, actual, re.DOTALL) is not None


def matches(expected, actual):
    """Whether the printed lines fit the expected ones (`…` lines match any run)."""
    # reachable[j]: the expected lines so far can account for actual[:j].
    reachable = [True] + [False] * len(actual)
    for pattern in expected:
        if pattern == ELLIPSIS:
            for j in range(1, len(actual) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [
                reachable[j] and line_matches(pattern, actual[j]) for j in range(len(actual))
            ]
    return reachable[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, log):
    port = free_port()
    server = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/__admin/health", timeout=1)
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"leadsim did not start (see {log.name})")


def run_page(binary, page, show, write=False):
    failures = 0
    printed = []
    with tempfile.TemporaryDirectory() as work, open(os.path.join(work, "leadsim.log"), "w") as log:
        server, port = start(binary, log)
        here = f"localhost:{port}"
        # `leadsim` on PATH is the binary under test, as after `cargo install`.
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(binary)) + os.pathsep + os.environ["PATH"])
        shell = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=work, text=True, encoding="utf-8", errors="replace",
        )
        try:
            page_text = open(page, encoding="utf-8").read()
            for n, (line, command, expected, context) in enumerate(examples_in_context(page_text)):
                marker = f"__leadsim_docs_{n}__"
                shell.stdin.write(command.replace("localhost:8080", here) + f"\nprintf '\\n{marker}\\n'\n")
                shell.stdin.flush()
                out = []
                while True:
                    got = shell.stdout.readline()
                    if not got or got.rstrip("\n") == marker:
                        break
                    out.append(got.rstrip("\n"))
                # The marker's leading newline ends a last line printed without one.
                if out and out[-1] == "":
                    out.pop()
                actual = [l.replace(here, "localhost:8080") for l in out]
                printed.append((line, actual))
                wrong = problems(command, context, actual)
                ok = matches(expected, actual) and not wrong
                if show or not ok:
                    print(f"{page}:{line}: $ {command}")
                    for problem in wrong:
                        print(f"  {problem}")
                    if not ok:
                        print("  expected:\n" + "\n".join("    " + l for l in expected))
                        print("  printed:")
                    print("\n".join("    " + l for l in actual))
                if not ok:
                    failures += 1
        finally:
            shell.stdin.close()
            shell.wait(timeout=10)
            server.terminate()
            server.wait(timeout=10)
    count = len(examples(page))
    if write:
        rewrite(page, printed)
        print(f"{page}: outputs written; review the diff")
        return 0
    print(f"{page}: {count - failures} of {count} commands print what the page says")
    return failures


LONGEST = 200


def rewrite(page, printed):
    """The page with each command's output replaced by what it printed
    (long lines cut in the middle with `…`), for a writer to review."""
    lines = open(page, encoding="utf-8").read().split("\n")
    by_line = dict(printed)
    out = []
    i = 0
    inside = False
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            inside = line.strip() == "```console"
            out.append(line)
            i += 1
            continue
        if inside and line.startswith("$ ") and (i + 1) in by_line:
            start = i + 1
            command = line[2:]
            out.append(line)
            while (command.endswith("\\") or not balanced(command)) and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]
                out.append(lines[i])
            i += 1
            while i < len(lines) and not lines[i].startswith("$ ") and not lines[i].startswith("```"):
                i += 1
            for l in by_line[start]:
                out.append(l if len(l) <= LONGEST else l[:150] + ELLIPSIS + l[-40:])
            continue
        out.append(line)
        i += 1
    open(page, "w", encoding="utf-8").write("\n".join(out))


def self_test():
    """The matcher's rules, so a check that cannot fail is caught first."""
    assert matches([], [])
    assert not matches([], ["printed"])
    assert not matches(["expected"], [])
    assert matches(['{"a":1,…}'], ['{"a":1,"b":2}'])
    assert not matches(['{"a":1,…}'], ['{"a":2,"b":2}'])
    assert matches(["first", ELLIPSIS, "last"], ["first", "x", "y", "last"])
    assert matches(["first", ELLIPSIS, "last"], ["first", "last"])
    assert not matches(["first", ELLIPSIS, "last"], ["first", "x"])
    assert matches(["a.b (c)"], ["a.b (c)"]) and not matches(["a.b"], ["axb"])
    assert balanced("echo 'a'") and not balanced("echo 'a") and balanced("# it's a comment")
    commands = examples_of("```console\n$ echo 1 \\\n  2\n1 2\n$ true\n```\n```sh\n$ not run\n```\n")
    assert commands == [(2, "echo 1 \\\n  2", ["1 2"]), (5, "true", [])], commands
    # Errors must be announced; data must not look like an error.
    error = ['{"Status":"Error","ExceptionType":"MXInvalidRequestException","ExceptionMessage":"x"}']
    assert problems("curl -d x", "Aggregate by source", error)
    assert not problems("curl -d x", "A bad body is refused with 400", error)
    assert not problems("curl -d x  # refused: no keys", "", error)
    assert problems("curl", "", ["HTTP/1.1 404 Not Found"]) and problems("curl", "", ['[{"message":"x"}]'])
    assert not problems("curl", "", ['{"TotalCount":"9","Results":[]}', "HTTP/1.1 200 OK"])
    assert problems("curl -d '{\n$   \"a\": 1}'", "", [])
    context = examples_in_context("A 401 when the key is wrong:\n\n```console\n$ # then\n$ curl x\n```\n")
    assert context == [(5, "curl x", [], "A 401 when the key is wrong:\n$ # then")], context


def main():
    self_test()
    args = sys.argv[1:]
    show = "--print" in args
    write = "--write" in args
    args = [a for a in args if a not in ("--print", "--write")]
    binary, pages = args[0], args[1:]
    failed = sum(run_page(binary, page, show, write) for page in pages)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
