# Writes 10 MiB to stderr with no newline, then answers on stdout.
import sys
chunk = "x" * 65536
for _ in range(160):
    sys.stderr.write(chunk)
sys.stderr.flush()
sys.stdout.write("done")
