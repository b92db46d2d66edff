// A scripted session with each npm Redis client: every reply is checked
// against what Redis 7.0 answers. usage: node session.js HOST PORT
"use strict";
const assert = require("assert/strict");
const Redis = require("ioredis");
const { createClient } = require("redis");
const [host, port] = [process.argv[2], Number(process.argv[3])];

async function ioredisSession() {
  const r = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  assert.equal(await r.ping(), "PONG");
  assert.equal(await r.set("io:k", "v1"), "OK");
  assert.equal(await r.get("io:k"), "v1");
  assert.equal(await r.set("io:k", "v2", "NX"), null);
  assert.equal(await r.set("io:k", "v2", "XX", "GET"), "v1");
  assert.equal(await r.incr("io:n"), 1);
  assert.equal(await r.incrby("io:n", 41), 42);
  assert.equal(await r.incrbyfloat("io:f", "1.5"), "1.5");
  assert.equal(await r.expire("io:k", 100), 1);
  assert.ok((await r.ttl("io:k")) > 90);
  assert.equal(await r.hset("io:h", { a: "1", b: "2" }), 2);
  assert.deepEqual(await r.hgetall("io:h"), { a: "1", b: "2" });
  assert.deepEqual(await r.mget("io:k", "io:nope", "io:n"), ["v2", null, "42"]);
  // a pipeline: replies in request order
  const res = await r.pipeline().set("io:p", "x").append("io:p", "yz").get("io:p").strlen("io:p").exec();
  assert.deepEqual(res.map(([e, v]) => v), ["OK", 3, "xyz", 3]);
  await assert.rejects(r.lpush("io:k", "x"), /unknown command|WRONGTYPE/);
  await assert.rejects(r.incr("io:k"), /ERR value is not an integer or out of range/);
  const big = "z".repeat(1 << 20);
  assert.equal(await r.set("io:big", big), "OK");
  assert.equal(await r.get("io:big"), big);
  const keys = [];
  for await (const batch of r.scanStream({ match: "io:*", count: 100 })) keys.push(...batch);
  assert.deepEqual([...new Set(keys)].sort(), ["io:big", "io:f", "io:h", "io:k", "io:n", "io:p"]);
  assert.equal(await r.del("io:k", "io:n", "io:f", "io:h", "io:p", "io:big"), 6);
  r.disconnect();
  return "ioredis session: 20 checks passed";
}

async function nodeRedisSession(resp) {
  const c = createClient({ socket: { host, port, reconnectStrategy: false } });
  c.on("error", () => {});
  await c.connect();
  assert.equal(await c.ping(), "PONG");
  assert.equal(await c.set("nr:k", "v"), "OK");
  assert.equal(await c.get("nr:k"), "v");
  assert.equal(await c.set("nr:k", "w", { NX: true }), null);
  assert.equal(await c.incr("nr:n"), 1);
  assert.equal(await c.decrBy("nr:n", 5), -4);
  assert.equal(await c.hSet("nr:h", "f", "v"), 1);
  assert.equal(await c.hGet("nr:h", "f"), "v");
  assert.deepEqual({ ...(await c.hGetAll("nr:h")) }, { f: "v" });
  assert.equal(await c.exists(["nr:k", "nr:h", "nr:x"]), 2);
  assert.equal(await c.type("nr:h"), "hash");
  assert.equal(await c.pExpire("nr:k", 100000), true);
  assert.ok((await c.pTTL("nr:k")) > 90000);
  const multi = await Promise.all([c.set("nr:a", "1"), c.get("nr:a"), c.strLen("nr:a")]);
  assert.deepEqual(multi, ["OK", "1", 1]);
  await assert.rejects(c.hGet("nr:k", "f"), /WRONGTYPE/);
  assert.equal(await c.del(["nr:k", "nr:n", "nr:h", "nr:a"]), 4);
  await c.quit();
  return "node-redis session: 16 checks passed";
}

(async () => {
  console.log(await ioredisSession());
  console.log(await nodeRedisSession());
})().catch((e) => {
  console.error("FAILED:", e && e.stack ? e.stack : e);
  process.exit(1);
});
