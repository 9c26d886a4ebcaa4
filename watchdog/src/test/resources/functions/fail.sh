# Reads its input, optionally writes some output, then exits with the status in X-Exit.
cat > /dev/null
if [ -n "$Http_X_Output" ]; then printf '%s' "$Http_X_Output"; fi
echo "failing on purpose" >&2
exit "${Http_X_Exit:-3}"
