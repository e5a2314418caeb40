/**
 * Generates a large master config shaped like the reference lab's (hundreds of entries, NVIDIA
 * and AMD, single-node and disaggregated) for the planner's scale test and benchmark.
 */
const SINGLE_SKUS = ["h100", "h200", "b200", "b300", "mi300x", "mi325x", "mi355x"];
const MULTI = [
  { runner: "gb200", framework: "dynamo-trt", kv: "nixl" },
  { runner: "gb300", framework: "dynamo-sglang", kv: "nixl" },
  { runner: "b200-multinode", framework: "sglang-disagg", kv: "mooncake" },
  { runner: "mi355x-disagg", framework: "sglang-disagg", kv: "mori" },
];
const MODELS = ["dsr1", "gptoss", "qwen3.5", "kimik2", "glm5"];

export function largeMasterConfig(entriesPerKind = 10): string {
  const out: string[] = [];
  for (const model of MODELS) {
    for (const sku of SINGLE_SKUS) {
      for (let v = 0; v < entriesPerKind; v++) {
        for (const fw of ["sglang", "vllm"]) {
          out.push(`${model}-fp8-${sku}-${fw}-v${v}:
  image: example/${fw}:v0.${v}
  model: org/${model}
  model-prefix: ${model}
  runner: ${sku}
  precision: fp8
  framework: ${fw}
  multinode: false
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, ep: 1, conc-start: 4, conc-end: 64 }
      - { tp: 8, ep: 8, dp-attn: true, conc-start: 64, conc-end: 512 }
      - { tp: 4, ep: 1, spec-decoding: mtp, conc-list: [1, 2, 4, 8] }
    - isl: 8192
      osl: 1024
      search-space:
      - { tp: 8, ep: 1, conc-start: 4, conc-end: 64 }
      - { tp: 8, ep: 8, dp-attn: true, conc-start: 64, conc-end: 256 }
`);
        }
      }
    }
    for (const m of MULTI) {
      for (let v = 0; v < entriesPerKind; v++) {
        out.push(`${model}-fp4-${m.runner}-${m.framework}-v${v}:
  image: example/${m.framework}:v1.${v}
  model: org/${model}
  model-prefix: ${model}
  runner: ${m.runner}
  precision: fp4
  framework: ${m.framework}
  multinode: true
  disagg: true
  kv-p2p-transfer: ${m.kv}
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - spec-decoding: mtp
        conc-list: [4, 8, 16, 32]
        prefill:
          num-worker: 1
          tp: 4
          ep: 4
          dp-attn: true
          additional-settings:
          - "CONFIG_FILE=recipes/${m.framework}/${model}/ctx1_gen4.yaml"
        decode:
          num-worker: 4
          tp: 8
          ep: 8
          dp-attn: true
      - spec-decoding: none
        conc-list: [512, 1024, 2048]
        prefill: { num-worker: 3, tp: 4, ep: 4, dp-attn: true }
        decode: { num-worker: 1, tp: 16, ep: 16, dp-attn: true }
`);
      }
    }
  }
  return out.join("\n");
}
