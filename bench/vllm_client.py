"""Drives vLLM's own benchmark request function the way `vllm bench serve` drives it, to compare
benchfleet's client with vLLM's on the same server and core budget (bench/load.ts --vllm PATH).

vLLM's code is not part of benchfleet: pass the path of `vllm/benchmarks/lib/endpoint_request_func.py`
from a vLLM checkout (needs aiohttp, regex and tqdm). What this harness reproduces of
`vllm/benchmarks/serve.py` (read at vLLM commit def9ce85): plain `asyncio.run`, one
aiohttp.ClientSession over a TCPConnector(limit=concurrency, limit_per_host=concurrency,
keepalive_timeout=60, enable_cleanup_closed=True), `gc.freeze()` before the run, warmup requests
through a semaphore, then one task per request under an asyncio.Semaphore(concurrency); no
progress bar (tqdm disabled, which only helps vLLM's figure).

Usage: vllm_client.py REQUEST_FUNC_PY BASE_URL CONCURRENCY NUM_PROMPTS ISL OSL -> one JSON line.
"""
import asyncio
import gc
import importlib.util
import json
import random
import resource
import sys
import time

import aiohttp


def load_vllm(path):
    spec = importlib.util.spec_from_file_location("vllm_endpoint_request_func", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def run(vllm, base_url, concurrency, num_prompts, isl, osl):
    rng = random.Random(0)
    api_url = base_url.rstrip("/") + "/v1/completions"

    def request(prompt):
        return vllm.RequestFuncInput(prompt=prompt, api_url=api_url, prompt_len=isl, output_len=osl,
                                     model="m", ignore_eos=True, extra_body={"temperature": 0.0})

    prompts = [[rng.randrange(1000, 30000) for _ in range(isl)] for _ in range(num_prompts)]
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, ttl_dns_cache=300,
                                     use_dns_cache=True, keepalive_timeout=60, enable_cleanup_closed=True,
                                     force_close=False, ssl=False)
    session = aiohttp.ClientSession(connector=connector, trust_env=True,
                                    timeout=aiohttp.ClientTimeout(total=6 * 60 * 60))
    func = vllm.async_request_openai_completions
    sem = asyncio.Semaphore(concurrency)

    async def limited(inp):
        async with sem:
            return await func(request_func_input=inp, session=session, pbar=None)

    await asyncio.gather(*[asyncio.create_task(limited(request(prompts[0]))) for _ in range(concurrency)])
    gc.collect()
    gc.freeze()
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    outputs = await asyncio.gather(*[asyncio.create_task(limited(request(p))) for p in prompts])
    duration = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    await session.close()
    ok = [o for o in outputs if o.success]
    tokens = sum(o.output_tokens or 0 for o in ok)
    errors = sorted({o.error.strip().splitlines()[-1] for o in outputs if not o.success and o.error})
    return {
        "client": "vllm",
        "concurrency": concurrency,
        "duration": duration,
        "completed": len(ok),
        "failed": len(outputs) - len(ok),
        "errors": errors[:3],
        "output_tokens": tokens,
        "tok_s": tokens / duration,
        "req_s": len(ok) / duration,
        "cpu_us_per_token": cpu / max(tokens, 1) * 1e6,
        "cpu_share": cpu / duration,
    }


if __name__ == "__main__":
    path, base_url, conc, n, isl, osl = sys.argv[1:7]
    result = asyncio.run(run(load_vllm(path), base_url, int(conc), int(n), int(isl), int(osl)))
    print(json.dumps(result))
