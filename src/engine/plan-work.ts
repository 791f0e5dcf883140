import { attentionDims, attentionKey } from "./ops/attention.js";
import { OPS, PROFILE_OPS, workOf, type ProfileOp } from "./ops/descriptors.js";
import { q8InDim } from "./ops/matmul.js";
import { ropeHeadDim } from "./ops/rope.js";
import { describe, dim, options } from "./validate.js";

type Shape = Record<string, unknown>;
type Dims = Record<string, number>;

/** Engine methods that serve several profile ops: which one a shape is. */
const ROUTES = {
  attention: (where: string, s: Shape): ProfileOp => attentionKey(attentionDims(where, s).seqLen),
  matmul: (where: string, s: Shape, key?: ProfileOp): ProfileOp => {
    const weights = s.weights ?? (key === "matmul.q8_0" ? "q8_0" : "f32");
    if (weights !== "f32" && weights !== "q8_0") {
      throw new RangeError(`${where}: weights must be "f32" or "q8_0", got ${typeof weights === "string" ? weights : describe(weights)}`);
    }
    return weights === "q8_0" ? "matmul.q8_0" : "matmul.f32";
  },
};

/** Ops whose shape needs more than positive work fields: checked as the op itself checks it. */
const CHECKS: Partial<Record<ProfileOp, (where: string, s: Shape, dims: Dims) => void>> = {
  rope: (where, s, d) => { d.headDim = ropeHeadDim(where, s.headDim); },
  "attention.prefill": (where, s, d) => { Object.assign(d, attentionDims(where, s)); },
  "attention.decode": (where, s, d) => { Object.assign(d, attentionDims(where, s)); },
  "matmul.q8_0": (where, _s, d) => { q8InDim(where, d.inDim); },
};

/** Ops plan() knows: every profile op, and the engine methods that route to several. */
export const PLAN_OPS: readonly string[] = [...Object.keys(ROUTES), ...PROFILE_OPS];
export type PlanOp = keyof typeof ROUTES | ProfileOp;

/** The profile op and work size of an op's shape, checked as the op itself would check it. */
export function planWork(op: string, shape: unknown): { key: ProfileOp; work: number } {
  if (!PLAN_OPS.includes(op)) {
    throw new RangeError(`plan: unknown op ${JSON.stringify(op)}; expected one of ${PLAN_OPS.join(", ")}`);
  }
  const where = `plan(${op})`;
  const s = options<Shape>(where, shape);
  // a profile op routes as its method does (a one-query "attention.prefill" runs as decode)
  const routes: Record<string, (where: string, s: Shape, key?: ProfileOp) => ProfileOp> = ROUTES;
  const route = routes[op] ?? routes[OPS[op as ProfileOp].method];
  const key = route ? route(where, s, op as ProfileOp) : op as ProfileOp;
  const dims: Dims = {};
  for (const f of OPS[key].workFields) dims[f] = dim(where, f, s[f]);
  CHECKS[key]?.(where, s, dims);
  return { key, work: workOf(key, dims) };
}
