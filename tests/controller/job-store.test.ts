import { randomBytes } from "node:crypto";
import { Bus, connectRedis, JobStore, newJobRecord, RedisState } from "@benchfleet/controller";
import { afterAll, describe, expect, inject, it } from "vitest";
import { makeDeployment } from "../helpers/deployments.js";

describe("JobStore queued index", () => {
  const redis = connectRedis(inject("redisUrl"));
  const state = new RedisState(redis, `jobs-test-${randomBytes(4).toString("hex")}`);
  afterAll(async () => {
    await redis.quit();
  });

  const ids = (it: Iterable<{ jobId: string }>) => [...it].map((j) => j.jobId).sort();

  it("lists exactly the queued jobs as statuses change, and after a reload from Redis", async () => {
    const jobs = new JobStore(state, new Bus());
    const make = (i: number) => {
      const d = makeDeployment({ seed: `q-${i}` });
      return { rec: newJobRecord(`s1.job${i}`, "s1", d), deployment: d };
    };
    await jobs.createMany([make(1), make(2), make(3)]);
    await jobs.create(make(4).rec, make(4).deployment);
    expect(ids(jobs.queued())).toEqual(["s1.job1", "s1.job2", "s1.job3", "s1.job4"]);

    await jobs.update("s1.job1", (j) => {
      j.status = "running";
    });
    await jobs.update("s1.job2", { status: "succeeded" });
    await jobs.update("s1.job3", { pointsDone: 1 }); // no status change: stays queued
    expect(ids(jobs.queued())).toEqual(["s1.job3", "s1.job4"]);

    await jobs.update("s1.job1", (j) => {
      j.status = "queued"; // a retry
      j.retryAt = Date.now() + 60_000;
    });
    await jobs.update("s1.job4", { status: "cancelled" });
    expect(ids(jobs.queued())).toEqual(["s1.job1", "s1.job3"]);
    // the index agrees with a scan of every record
    expect(ids(jobs.queued())).toEqual(ids([...jobs.all()].filter((j) => j.status === "queued")));

    const reloaded = new JobStore(state, new Bus());
    await reloaded.load();
    expect(ids(reloaded.queued())).toEqual(["s1.job1", "s1.job3"]);
  });
});
