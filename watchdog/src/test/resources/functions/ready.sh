# A readiness endpoint for the ready_path tests, steered by request headers (cloned into the probe).
# X-Count: a file that gets one line (the path) per call. X-Gate: answer only once this file exists.
# X-Output: what to write (default "ready"). X-Exit: the exit status after writing (default 0).
if [ -n "$Http_X_Count" ]; then echo "$Http_Method $Http_Path" >> "$Http_X_Count"; fi
cat > /dev/null
if [ -n "$Http_X_Gate" ]; then while [ ! -e "$Http_X_Gate" ]; do sleep 0.01; done; fi
printf '%s' "${Http_X_Output-ready}"
exit "${Http_X_Exit:-0}"
