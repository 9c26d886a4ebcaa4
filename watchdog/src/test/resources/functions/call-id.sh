# Waits until X-Count processes have started (each leaves a file in X-Dir), so they all run at
# once, then writes its own call id to stderr a few times and echoes its input.
touch "$Http_X_Dir/$$"
while [ "$(ls "$Http_X_Dir" | wc -l)" -lt "$Http_X_Count" ]; do sleep 0.01; done
for i in 1 2 3 4 5; do echo "call $Http_X_Call_Id line $i" >&2; done
cat
