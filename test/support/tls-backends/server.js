// A stand-in apiserver for load-balancer tests: HTTPS on one port, answering every request with
// its own name, so a client behind the LB can count which backend served it.
// Usage: node server.js NAME PORT CERT_FILE KEY_FILE
"use strict";
const fs = require("node:fs");
const https = require("node:https");

const [name, port, certFile, keyFile] = process.argv.slice(2);
const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
    res.writeHead(200, { "content-type": "text/plain", connection: "close" });
    res.end(`${name}\n`);
});
server.listen(Number(port), "0.0.0.0");
