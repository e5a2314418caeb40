/**
 * The dynamo install srtctl runs in each worker and frontend container before its command
 * (core/schema.py DynamoConfig.get_install_commands, pure), reproduced as bash:
 *  - `version`: pip install of ai-dynamo-runtime and ai-dynamo from PyPI (NVIDIA's index extra);
 *  - `wheel`: the exact ai-dynamo(-runtime) wheels of that version, `--pre --no-deps`. srtctl
 *    downloads them on the login node (runtime_scripts/dynamo_wheels.py prefetch: pypi.org, then
 *    pypi.nvidia.com) and installs them offline; here the container downloads the same wheels from
 *    the same indexes;
 *  - `hash`: a source build at that commit (git clone, maturin build of the runtime wheel, editable
 *    install), cached per commit under /configs/dynamo-wheels as srtctl caches it; that directory is
 *    a host directory of the node here (DYNAMO_SOURCE_CACHE), mounted into every container.
 * Every kind is serialised per container environment with srtctl's flock + sentinel wrapper.
 */
import { RecipeError } from "@benchfleet/shared";
import { shellQuote } from "./render-config.js";
import type { SrtRecipe } from "./srt-recipe.js";

/** where srtctl caches hash-pinned source builds inside the container */
export const DYNAMO_CACHE_ROOT = "/configs/dynamo-wheels";
/** the node's directory mounted there */
export const DYNAMO_SOURCE_CACHE = "/var/tmp/benchfleet-dynamo-wheels";

export interface DynamoInstall {
  /** bash run before the command */
  preamble: string;
  env: Record<string, string>;
  mounts: Array<{ host: string; container: string }>;
}

export function dynamoInstall(r: SrtRecipe): DynamoInstall | undefined {
  const d = r.dynamo;
  if (!d.install || r.frontend.type !== "dynamo") return undefined;
  if (d.cargo_patches?.length) throw new RecipeError("dynamo.cargo_patches: patched source builds are not supported");
  if (d.wheel) {
    const name = `ai_dynamo-${d.wheel}-py3-none-any.whl`;
    const pip = [
      "python3 -m pip install --pre --no-deps --only-binary=:all:",
      "--index-url https://pypi.org/simple --extra-index-url https://pypi.nvidia.com",
      `ai-dynamo-runtime==${d.wheel} ai-dynamo==${d.wheel}`,
    ].join(" ");
    const cmd =
      `echo ${shellQuote(`Installing ai-dynamo-runtime and ai-dynamo from wheel ${name}...`)} && ${pip} && ` +
      `python3 -c 'import dynamo.llm' && echo ${shellQuote(`ai-dynamo-runtime and ai-dynamo install path completed for ${name}`)}`;
    return {
      preamble: serializeNodeInstall(cmd),
      env: { DYNAMO_WHEEL_NAME: name, DYNAMO_VERSION: d.wheel },
      mounts: [],
    };
  }
  if (d.version) return { preamble: serializeNodeInstall(versionInstall(d.version)), env: {}, mounts: [] };
  if (d.hash) {
    return {
      preamble: serializeNodeInstall(hashInstall(d.hash)),
      env: {},
      mounts: [{ host: DYNAMO_SOURCE_CACHE, container: DYNAMO_CACHE_ROOT }],
    };
  }
  return undefined;
}

export function versionInstall(version: string): string {
  return (
    `echo 'Installing dynamo ${version}...' && ` +
    `pip install --break-system-packages --quiet --extra-index-url https://pypi.nvidia.com ai-dynamo-runtime==${version} ai-dynamo==${version} && ` +
    `echo 'Dynamo ${version} installed'`
  );
}

/** srtctl's _hash_cached_source_install (no cargo patches) */
export function hashInstall(hash: string): string {
  if (!/^[0-9a-zA-Z._-]+$/.test(hash)) throw new RecipeError(`dynamo.hash ${hash}: not a commit`);
  const cache = `${DYNAMO_CACHE_ROOT}/${hash}`;
  const lock = `${DYNAMO_CACHE_ROOT}/.${hash}.lock`;
  return (
    `echo 'Installing dynamo from source (${hash}, /configs cache)...' && ` +
    `mkdir -p ${DYNAMO_CACHE_ROOT} && ` +
    "( flock -x 201; " +
    `if [ ! -f ${cache}/.complete ]; then ` +
    "apt-get update -qq && apt-get install -y -qq libclang-dev curl git protobuf-compiler > /dev/null 2>&1 && " +
    "if ! command -v cargo &>/dev/null; then " +
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain stable -q && " +
    ". $HOME/.cargo/env; fi && " +
    "pip install --break-system-packages --force-reinstall --quiet maturin && " +
    "DYN_BUILD_DIR=$(mktemp -d) && cd $DYN_BUILD_DIR && " +
    "git clone https://github.com/ai-dynamo/dynamo.git && " +
    `cd dynamo && git checkout ${hash} && ` +
    "cd lib/bindings/python/ && " +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
    'export RUSTFLAGS="${RUSTFLAGS:-} -C target-cpu=native --cfg tokio_unstable" && ' +
    "rm -f /tmp/ai_dynamo_runtime*.whl && " +
    "maturin build --release -o /tmp && " +
    `mkdir -p ${cache} && ` +
    `cp /tmp/ai_dynamo_runtime*.whl ${cache}/ && ` +
    "cd $DYN_BUILD_DIR && " +
    `tar --exclude='target' --exclude='.git' -czf ${cache}/dynamo-src.tar.gz dynamo && ` +
    `touch ${cache}/.complete && ` +
    "cd / && rm -rf $DYN_BUILD_DIR; " +
    "fi " +
    `) 201>${lock} && ` +
    `pip install --break-system-packages --force-reinstall ${cache}/ai_dynamo_runtime-*.whl && ` +
    "rm -rf /tmp/dynamo-src && mkdir -p /tmp/dynamo-src && " +
    `tar -xzf ${cache}/dynamo-src.tar.gz -C /tmp/dynamo-src && ` +
    "pip install --break-system-packages -e /tmp/dynamo-src/dynamo && " +
    `echo 'Dynamo installed from source (${hash})'`
  );
}

/** srtctl's _serialize_node_install: one install per container environment, the others wait and skip */
export function serializeNodeInstall(install: string): string {
  const resolveDir = `DYN_LOCK_DIR="$(python3 -c 'import sys; print(sys.prefix)' 2>/dev/null || echo "\${HOME:-/root}")"`;
  const lock = '"$DYN_LOCK_DIR/.srtctl_dynamo_install.lock"';
  const sentinel = '"$DYN_LOCK_DIR/.srtctl_dynamo_install.complete"';
  return (
    `${resolveDir} && ( flock -x 200; if [ -f ${sentinel} ]; then ` +
    "echo 'dynamo install already completed in this environment, skipping'; " +
    `else { ${install} ; } && touch ${sentinel}; fi ) 200>${lock}`
  );
}
