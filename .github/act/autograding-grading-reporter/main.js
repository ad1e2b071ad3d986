// Local stand-in for GitHub Classroom's grading reporter (see ../README.md). For each id in the
// `runners` input it reads the environment variable <ID upper-cased>_RESULTS, decodes it (base64,
// then JSON), prints each test, and adds up the points the way the real reporter does: the tests'
// `score` and the runner's `max_score`, for runners whose max_score is not 0. It prints
// "Points X/Y", and the runner table the real reporter prints beside it ((passing tests / tests) x
// max_score per runner), so that `make act` shows what students see; it fails the step when any
// runner's status is "fail" or "error".
"use strict";

const input = process.env.INPUT_RUNNERS || "";
let total = 0;
let max = 0;
let failed = false;
let errored = false;
const perRunner = [];

try {
  for (const raw of input.split(",")) {
    const runner = raw.trim();
    const encoded = process.env[`${runner.toUpperCase()}_RESULTS`];
    if (!runner || encoded === undefined) {
      throw new Error(`no ${runner.toUpperCase()}_RESULTS for runner '${runner}'`);
    }
    const results = JSON.parse(Buffer.from(encoded, "base64").toString("utf-8"));
    perRunner.push([runner, results]);
    console.log(`Processing: ${runner}`);
    let runnerScore = 0;
    for (const test of results.tests) {
      const mark = test.status === "pass" ? "pass" : "FAIL";
      console.log(`  ${mark}  ${test.name}  (${test.score})`);
      if (test.status !== "pass") {
        console.log(`        ${String(test.message || "Failed to run test").split("\n").join("\n        ")}`);
      }
      runnerScore += Number(test.score) || 0;
    }
    console.log(`Total points for ${runner}: ${runnerScore}/${results.max_score}\n`);
    if (results.max_score) {
      max += results.max_score;
      total += runnerScore;
    }
    failed = failed || results.status === "fail";
    errored = errored || results.status === "error";
  }
} catch (error) {
  console.log(`::error::${error.message}`);
  process.exit(1);
}

const round = (x) => Math.round(x * 1e6) / 1e6;
// The real reporter's runner table: each runner scores (passing tests / tests) * max_score.
console.log("Test runner summary");
let tableTotal = 0;
for (const [runner, results] of perRunner) {
  const passing = results.tests.filter((t) => t.status === "pass").length;
  const score = results.tests.length ? (passing / results.tests.length) * (results.max_score || 1) : 0;
  tableTotal += results.max_score ? score : 0;
  console.log(`  ${runner.padEnd(20)} ${String(round(score)).padStart(10)} ${String(results.max_score).padStart(10)}`);
}
console.log(`  ${"Total:".padEnd(20)} ${String(round(tableTotal)).padStart(10)} ${String(round(max)).padStart(10)}`);
console.log(`Points ${round(total)}/${round(max)}`);
if (round(tableTotal) !== round(total)) {
  console.log(`::warning::the runner table (${round(tableTotal)}) and the notice (${round(total)}) disagree`);
}
if (failed) {
  console.log("::error::Some tests failed.");
  process.exit(1);
} else if (errored) {
  console.log("::error::Some tests errored.");
  process.exit(1);
}
