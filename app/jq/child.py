"""A sandbox child: evaluates jq programs for app.jq.sandbox, one request at a time, over pipes.

    python -m app.jq.child <memory MiB> <CPU seconds per request>

Each message, both ways, is a 4-byte big-endian length and that many bytes of JSON. A request is a
list of [program text, input JSON text]; the answer lists, in order, `[0, first output]`,
`[1, jq's error message]` or `[2]` (no output). Once started the child sends `"ready"`. When
memory runs out the answer is `{"limit":
"memory"}` and the child exits; a request using more CPU than allowed is killed by the kernel.
"""

import json
import resource
import struct
import sys
from collections import OrderedDict

import jq

HEADER = struct.Struct(">I")
CACHE_SIZE = 512  # compiled programs kept, by text


def limit_memory(memory_mb: int) -> None:
    """Cap the address space: libjq aborts and Python raises MemoryError beyond it."""
    size = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def limit_cpu(seconds: float) -> None:
    """Let the next request use at most `seconds` more CPU time; the kernel kills the child after."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (int(usage.ru_utime + usage.ru_stime + seconds) + 1, hard))


def read_message(stream) -> object | None:
    """The next request, or None when the parent closed the pipe."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    return json.loads(stream.read(HEADER.unpack(header)[0]))


def write_message(stream, message: object) -> None:
    data = json.dumps(message).encode("utf-8")
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def compiled(cache: OrderedDict, text: str) -> object:
    """The compiled program for `text`, compiling it on first use."""
    program = cache.get(text)
    if program is None:
        program = cache[text] = jq.compile(text)
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(text)
    return program


def evaluate(cache: OrderedDict, text: str, jq_input: str) -> list:
    """One call's answer: its first output, its error or no output."""
    try:
        return [0, compiled(cache, text).input_text(jq_input).first()]
    except StopIteration:
        return [2]
    except ValueError as exc:
        return [1, str(exc)]


def serve(memory_mb: int, cpu_seconds: float) -> None:
    """Answer requests until the parent closes stdin."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    cache = OrderedDict()
    limit_memory(memory_mb)
    write_message(stdout, "ready")
    while True:
        limit_cpu(cpu_seconds)
        try:
            request = read_message(stdin)
            if request is None:
                return
            answer = [evaluate(cache, text, jq_input) for text, jq_input in request]
            write_message(stdout, answer)
        except MemoryError:
            write_message(stdout, {"limit": "memory"})
            return


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
