// The peak exam window for k6 (https://k6.io): tens of thousands of doctors press "start" within a
// minute of 08:00, then answer one question every 30-90 s for an hour. Registers nothing: it reads
// the candidates file that `npx tsx loadtest/setup.ts` writes (see loadtest/README.md).
//
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e CANDIDATES=./candidates.jsonl loadtest/peak-window.k6.js
//
// Environment (all optional):
//   BASE_URL          one URL, or several separated by commas: candidate i uses URL i mod n
//   CANDIDATES        JSON lines or a JSON array of { idNumber, password[, token] } (path relative to this file)
//   OFFSET            first candidate of the file this k6 instance plays (0)
//   COUNT             how many candidates arrive (default: all from OFFSET). Every candidate is a
//                     VU for its whole sitting (MBs of memory each): spread 20,000 over several
//                     load generators, e.g. 4 × (COUNT=5000, OFFSET=0/5000/10000/15000), started
//                     together: the four arrival curves add up to the one of 20,000.
//   WINDOW_SEC        the synchronized start: everyone presses "start" within this many seconds (60)
//   THINK_MIN_MS      think time before each answer, lower bound (30000)
//   THINK_MAX_MS      upper bound (90000)
//   CORRECT           share of answers that are right (0.8)
//   P99_SAVE_MS       threshold of p(99) for saving an answer (100)
//   P99_START_MS      threshold of p(99) for starting a try (1000)
//   MAX_ERROR_RATE    threshold of the failed-request rate (0.001)
// The thinking times match loadtest/driver.ts, which runs the same scenario from Node.
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Counter } from 'k6/metrics';

const RIGHT = '【正确】';
const BASE_URLS = (__ENV.BASE_URL || 'http://127.0.0.1:3000').split(',').map((u) => u.trim().replace(/\/$/, ''));
const THINK_MIN_MS = Number(__ENV.THINK_MIN_MS || 30000);
const THINK_MAX_MS = Number(__ENV.THINK_MAX_MS || 90000);
const WINDOW_SEC = Number(__ENV.WINDOW_SEC || 60);
const CORRECT = Number(__ENV.CORRECT || 0.8);

const candidates = new SharedArray('candidates', function () {
  const text = open(__ENV.CANDIDATES || './candidates.jsonl').trim();
  if (text.startsWith('[')) return JSON.parse(text);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
});
const OFFSET = Number(__ENV.OFFSET || 0);
const COUNT = Math.max(0, Math.min(Number(__ENV.COUNT || candidates.length - OFFSET), candidates.length - OFFSET));

// The same curve as loadtest/scenario.ts arrivalStages: up in the first sixth of the window, a
// plateau, down in the last sixth; the peak rate is chosen so that COUNT candidates arrive in all.
const UP_SEC = WINDOW_SEC / 6;
const HOLD_SEC = WINDOW_SEC - 2 * UP_SEC;
const PEAK_PER_SEC = Math.max(1, Math.ceil(COUNT / (UP_SEC / 2 + HOLD_SEC + UP_SEC / 2)));
// 100 answers, each after up to THINK_MAX_MS, plus slack for the submits and the result.
const SITTING_MAX_SEC = Math.ceil((100 * THINK_MAX_MS * 1.3) / 1000) + 300;

export const options = {
  scenarios: {
    peak_window: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      // Every candidate is a VU for its whole sitting (open model: arrivals do not wait for VUs).
      preAllocatedVUs: COUNT,
      maxVUs: COUNT,
      stages: [
        { target: PEAK_PER_SEC, duration: `${Math.round(UP_SEC * 1000)}ms` },
        { target: PEAK_PER_SEC, duration: `${Math.round(HOLD_SEC * 1000)}ms` },
        { target: 0, duration: `${Math.round(UP_SEC * 1000)}ms` },
      ],
      gracefulStop: `${SITTING_MAX_SEC}s`,
    },
  },
  thresholds: {
    'http_req_duration{endpoint:save}': [`p(99)<${Number(__ENV.P99_SAVE_MS || 100)}`],
    'http_req_duration{endpoint:start}': [`p(99)<${Number(__ENV.P99_START_MS || 1000)}`],
    'http_req_duration{endpoint:fetch}': ['p(99)<1000'],
    'http_req_duration{endpoint:submit}': ['p(99)<1000'],
    'http_req_duration{endpoint:result}': ['p(99)<1000'],
    http_req_failed: [`rate<${Number(__ENV.MAX_ERROR_RATE || 0.001)}`],
    checks: ['rate>0.999'],
    sittings_aborted: ['count<1'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const answersAcknowledged = new Counter('answers_acknowledged');
const sittingsFinished = new Counter('sittings_finished');
const sittingsAborted = new Counter('sittings_aborted');

const think = (scale) => sleep(((THINK_MIN_MS + Math.random() * (THINK_MAX_MS - THINK_MIN_MS)) * (scale || 1)) / 1000);
const rightKeys = (q) => q.options.filter((o) => o.text.indexOf(RIGHT) === 0).map((o) => o.key);
function wrongKeys(q) {
  const wrong = q.options.filter((o) => o.text.indexOf(RIGHT) !== 0);
  return [wrong[Math.floor(Math.random() * wrong.length)].key];
}
const params = (token, endpoint, name, extra) =>
  Object.assign(
    { headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, tags: { endpoint, name } },
    extra || {},
  );

function abort(what, res) {
  sittingsAborted.add(1);
  console.warn(`${what}: ${res ? `${res.status} ${String(res.body).slice(0, 200)}` : 'no response'}`);
}

export default function () {
  const i = exec.scenario.iterationInTest;
  if (i >= COUNT) return; // the curve's rounding can draw a few more arrivals than candidates
  const c = candidates[OFFSET + i];
  const base = BASE_URLS[(OFFSET + i) % BASE_URLS.length];

  // Log in (unless setup --login already did, as doctors do before the window opens).
  let token = c.token;
  if (!token) {
    const res = http.post(`${base}/v1/auth/login`, JSON.stringify({ idNumber: c.idNumber, password: c.password }), {
      headers: { 'Content-Type': 'application/json' },
      tags: { endpoint: 'login', name: 'POST /v1/auth/login' },
    });
    if (!check(res, { 'login 200': (r) => r.status === 200 })) return abort('login', res);
    token = res.json('token');
  }

  // Start the try (201), then load it as a page reload would.
  let res = http.post(`${base}/v1/attempts`, '{}', params(token, 'start', 'POST /v1/attempts'));
  if (!check(res, { 'start 201': (r) => r.status === 201 })) return abort('start', res);
  const attemptId = res.json('id');
  res = http.get(`${base}/v1/attempts/${attemptId}`, params(token, 'fetch', 'GET /v1/attempts/:id'));
  if (!check(res, { 'fetch 200': (r) => r.status === 200 })) return abort('fetch', res);
  let view = res.json();

  // Both sections: every question, one answer at a time with think time, then submit.
  while (view.status === 'in_progress' && view.section) {
    const section = view.section;
    for (const q of section.questions) {
      think();
      const keys = Math.random() < CORRECT ? rightKeys(q) : wrongKeys(q);
      res = http.put(
        `${base}/v1/attempts/${attemptId}/answers`,
        JSON.stringify({ answers: { [q.id]: keys } }),
        params(token, 'save', 'PUT /v1/attempts/:id/answers'),
      );
      if (!check(res, { 'save 200': (r) => r.status === 200 })) return abort('save', res);
      answersAcknowledged.add(1);
    }
    think(0.25);
    res = http.post(
      `${base}/v1/attempts/${attemptId}/sections/${section.id}/submit`,
      null,
      params(token, 'submit', 'POST /v1/attempts/:id/sections/:sectionId/submit'),
    );
    if (!check(res, { 'submit 200': (r) => r.status === 200 })) return abort('submit', res);
    view = res.json();
  }

  // The result is ready at once after the last submit; 409 attempt_not_finished means "soon".
  for (let k = 0; k < 10; k++) {
    res = http.get(
      `${base}/v1/attempts/${attemptId}/result`,
      params(token, 'result', 'GET /v1/attempts/:id/result', { responseCallback: http.expectedStatuses(200, 409) }),
    );
    if (res.status !== 409) break;
    sleep(0.5);
  }
  if (!check(res, { 'result 200': (r) => r.status === 200 })) return abort('result', res);
  sittingsFinished.add(1);
}
