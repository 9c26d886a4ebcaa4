// A function as a Node.js template would run it in a fork mode: read the whole request from
// stdin, answer on stdout. Each fork pays Node's start-up, which is what prefork hides.
const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
    const body = Buffer.concat(chunks);
    process.stdout.write(JSON.stringify({ bytes: body.length, handler: "node" }) + "\n");
});
