"""A single-asyncio-loop streaming client built like `vllm bench serve`'s request function
(vllm/benchmarks/lib/endpoint_request_func.py): a semaphore of `concurrency`, one request per task,
every SSE line json.loads'ed and stamped with time.perf_counter(). Standard library only (no aiohttp
here): one keep-alive HTTP/1.1 connection per slot, chunked transfer decoding by hand.
Usage: py_stream_client.py BASE_URL CONCURRENCY NUM_PROMPTS ISL OSL  -> one JSON line on stdout.
"""
import asyncio, json, random, sys, time, resource
from urllib.parse import urlparse


async def read_chunked(reader):
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            await reader.readline()
            return
        data = await reader.readexactly(size)
        await reader.readexactly(2)
        yield data


async def one(conn, host, prompt, osl):
    reader, writer = conn
    body = json.dumps({"model": "m", "prompt": prompt, "max_tokens": osl, "min_tokens": osl, "ignore_eos": True,
                       "stream": True, "stream_options": {"include_usage": True}}).encode()
    writer.write(b"POST /v1/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (host.encode(), len(body)) + body)
    st = time.perf_counter()
    status = await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    ttft, itl, last, out, buf = 0.0, [], st, 0, b""
    async for data in read_chunked(reader):
        buf += data
        while b"\n\n" in buf:
            ev, buf = buf.split(b"\n\n", 1)
            line = ev.strip()
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                continue
            d = json.loads(payload)
            ts = time.perf_counter()
            if d.get("choices"):
                if ttft == 0.0:
                    ttft = ts - st
                else:
                    itl.append(ts - last)
                last = ts
            elif d.get("usage"):
                out = d["usage"].get("completion_tokens", 0)
    return b" 200 " in status, out


async def main():
    base, conc, n, isl, osl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    u = urlparse(base)
    rng = random.Random(0)
    prompts = [[rng.randint(1000, 29999) for _ in range(isl)] for _ in range(64)]
    conns = [await asyncio.open_connection(u.hostname, u.port) for _ in range(conc)]
    queue = list(range(n))
    results = []

    async def slot(k):
        while queue:
            i = queue.pop()
            results.append(await one(conns[k], u.hostname, prompts[i % 64], osl))

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(slot(k) for k in range(conc)))
    dur = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    toks = sum(o for ok, o in results if ok)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({"duration": dur, "completed": sum(1 for ok, _ in results if ok), "tok_s": toks / dur,
                      "req_s": len(results) / dur, "cpu_us_per_token": cpu * 1e6 / max(1, toks)}))


asyncio.run(main())
