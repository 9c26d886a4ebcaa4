# Answers before reading any input, then echoes all of it.
echo ready
exec cat
