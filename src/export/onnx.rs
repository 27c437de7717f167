//! The ONNX graph: the streams and inputs in, the reads and a validity flag
//! out; the features (f64), the clock, one `LSTM` node (f32, gates i, o, f,
//! c, `B = [Wb, Rb]`) and the readouts (f64) inside.
//!
//! The messages are those of onnx.proto (the fields this graph uses), as
//! prost structs; prost writes the bytes.

use prost::Message;

use super::lstm::{F, G, I, O};
use super::Export;
use crate::syntax::{BinOp, Func, Names, Op, OpKind};

/// The opset the graph is written for.
pub const OPSET: i64 = 17;
/// The IR version that goes with it.
pub const IR_VERSION: i64 = 8;

/// `onnx.ModelProto`.
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    /// The IR version.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// The operator sets.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
    /// The producer.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// Its version.
    #[prost(string, tag = "3")]
    pub producer_version: String,
    /// The documentation.
    #[prost(string, tag = "6")]
    pub doc_string: String,
    /// The graph.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Named metadata.
    #[prost(message, repeated, tag = "14")]
    pub metadata_props: Vec<StringStringEntryProto>,
}

/// `onnx.OperatorSetIdProto`.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
    /// The domain ("" is the default one).
    #[prost(string, tag = "1")]
    pub domain: String,
    /// The version.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// `onnx.StringStringEntryProto`.
#[derive(Clone, PartialEq, Message)]
pub struct StringStringEntryProto {
    /// Key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `onnx.GraphProto`.
#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
    /// Nodes, in topological order.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// Name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Constants.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// Documentation.
    #[prost(string, tag = "10")]
    pub doc_string: String,
    /// Inputs.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// Outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `onnx.NodeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
    /// Input names.
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Output names.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// Node name.
    #[prost(string, tag = "3")]
    pub name: String,
    /// Operator.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// Attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
}

/// `onnx.AttributeProto` (int, ints, tensor).
#[derive(Clone, PartialEq, Message)]
pub struct AttributeProto {
    /// Name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// An int.
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// A tensor.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// Ints.
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    /// `AttributeType`: 2 INT, 4 TENSOR, 7 INTS.
    #[prost(int32, tag = "20")]
    pub r#type: i32,
}

/// `onnx.TensorProto` (raw little-endian data).
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    /// Shape.
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// `DataType`: 1 FLOAT, 7 INT64, 9 BOOL, 11 DOUBLE.
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// Name.
    #[prost(string, tag = "8")]
    pub name: String,
    /// The values.
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
}

/// `onnx.ValueInfoProto`.
#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
    /// Name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Type.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
    /// Documentation.
    #[prost(string, tag = "3")]
    pub doc_string: String,
}

/// `onnx.TypeProto` (the tensor case of its oneof).
#[derive(Clone, PartialEq, Message)]
pub struct TypeProto {
    /// A tensor type.
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TensorTypeProto>,
}

/// `onnx.TypeProto.Tensor`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorTypeProto {
    /// Element type.
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// Shape.
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// `onnx.TensorShapeProto`.
#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
    /// Dimensions.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// `onnx.TensorShapeProto.Dimension` (its oneof as two optional fields).
#[derive(Clone, PartialEq, Message)]
pub struct Dimension {
    /// A fixed size.
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
    /// A named size.
    #[prost(string, optional, tag = "2")]
    pub dim_param: Option<String>,
}

const FLOAT: i32 = 1;
const INT64: i32 = 7;
const BOOL: i32 = 9;
const DOUBLE: i32 = 11;

/// ONNX's gate blocks i, o, f, c as PyTorch's rows i, f, g, o.
pub const ONNX_FROM_TORCH: [usize; 4] = [I, O, F, G];

struct Graph {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    next: usize,
}

fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i,
        r#type: 2,
        ..Default::default()
    }
}

impl Graph {
    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{hint}_{}", self.next)
    }
    fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let out = self.fresh(&op.to_lowercase());
        self.node_to(op, inputs, attrs, &[&out]);
        out
    }
    fn node_to(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>, outputs: &[&str]) {
        let name = self.fresh(op);
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            name,
            op_type: op.into(),
            attribute: attrs,
        });
    }
    fn init(&mut self, hint: &str, data_type: i32, dims: &[i64], raw: Vec<u8>) -> String {
        let name = self.fresh(hint);
        self.inits.push(TensorProto {
            dims: dims.to_vec(),
            data_type,
            name: name.clone(),
            raw_data: raw,
        });
        name
    }
    fn f64s(&mut self, v: &[f64], dims: &[i64]) -> String {
        self.init(
            "c",
            DOUBLE,
            dims,
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
    }
    fn f32s(&mut self, hint: &str, v: &[f32], dims: &[i64]) -> String {
        self.init(
            hint,
            FLOAT,
            dims,
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
    }
    fn i64s(&mut self, v: &[i64], dims: &[i64]) -> String {
        self.init(
            "i",
            INT64,
            dims,
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
    }

    /// A postfix expression as f64 nodes; `name` gives each name's tensor.
    fn expr(
        &mut self,
        ops: &[Op],
        name: &mut dyn FnMut(&mut Graph, crate::syntax::NameId) -> String,
    ) -> String {
        let mut st: Vec<String> = Vec::new();
        for op in ops {
            let t = match op.kind() {
                OpKind::Num(v) => self.f64s(&[v], &[1]),
                OpKind::Name(id) => name(self, id),
                OpKind::Neg => {
                    let a = st.pop().unwrap_or_default();
                    self.node("Neg", &[&a], vec![])
                }
                OpKind::Bin(b) => {
                    let y = st.pop().unwrap_or_default();
                    let x = st.pop().unwrap_or_default();
                    let cmp = |g: &mut Graph, op: &str| {
                        let t = g.node(op, &[&x, &y], vec![]);
                        g.node("Cast", &[&t], vec![int("to", DOUBLE as i64)])
                    };
                    match b {
                        BinOp::Add => self.node("Add", &[&x, &y], vec![]),
                        BinOp::Sub => self.node("Sub", &[&x, &y], vec![]),
                        BinOp::Mul => self.node("Mul", &[&x, &y], vec![]),
                        BinOp::Div => self.node("Div", &[&x, &y], vec![]),
                        BinOp::Rem => self.node("Mod", &[&x, &y], vec![int("fmod", 1)]),
                        BinOp::Pow => self.node("Pow", &[&x, &y], vec![]),
                        BinOp::Lt => cmp(self, "Less"),
                        BinOp::Le => cmp(self, "LessOrEqual"),
                        BinOp::Gt => cmp(self, "Greater"),
                        BinOp::Ge => cmp(self, "GreaterOrEqual"),
                        BinOp::Eq => cmp(self, "Equal"),
                        BinOp::Ne => {
                            let t = self.node("Equal", &[&x, &y], vec![]);
                            let n = self.node("Not", &[&t], vec![]);
                            self.node("Cast", &[&n], vec![int("to", DOUBLE as i64)])
                        }
                    }
                }
                OpKind::Call(f) => {
                    if f.arity() == 2 {
                        let y = st.pop().unwrap_or_default();
                        let x = st.pop().unwrap_or_default();
                        let op = if f == Func::Min { "Min" } else { "Max" };
                        self.node(op, &[&x, &y], vec![])
                    } else {
                        let x = st.pop().unwrap_or_default();
                        let op = match f {
                            Func::Abs => "Abs",
                            Func::Sqrt => "Sqrt",
                            Func::Exp => "Exp",
                            Func::Ln => "Log",
                            Func::Tanh => "Tanh",
                            _ => "Sigmoid",
                        };
                        self.node(op, &[&x], vec![])
                    }
                }
            };
            st.push(t);
        }
        st.pop().unwrap_or_default()
    }
}

fn value_info(name: &str, elem: i32, dims: &[Result<i64, &str>], doc: &str) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: elem,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| match d {
                            Ok(v) => Dimension {
                                dim_value: Some(*v),
                                dim_param: None,
                            },
                            Err(p) => Dimension {
                                dim_value: None,
                                dim_param: Some((*p).into()),
                            },
                        })
                        .collect(),
                }),
            }),
        }),
        doc_string: doc.into(),
    }
}

/// The output name of read `r`.
pub fn read_name(r: usize) -> String {
    format!("read{r}")
}

/// The model, as bytes, with `metadata` (key, value) pairs.
pub fn model(ex: &Export, names: &Names, metadata: Vec<(String, String)>) -> Vec<u8> {
    let l = &ex.lstm;
    let h = l.hidden as i64;
    let p = l.phases as i64;
    let d = l.input() as i64;
    let mut g = Graph {
        nodes: Vec::new(),
        inits: Vec::new(),
        next: 0,
    };
    let mut inputs = Vec::new();
    for (name, used) in &ex.inputs {
        if *used {
            inputs.push(value_info(name, DOUBLE, &[Ok(1)], "a scalar input"));
        }
    }
    let fed: Vec<&String> = ex.streams.iter().filter(|s| s.1).map(|s| &s.0).collect();
    for name in &fed {
        inputs.push(value_info(
            name,
            DOUBLE,
            &[Err("L")],
            "a stream, one element per loop iteration",
        ));
    }
    // The loop's length as a 1-D int64 shape.
    let shape_l = match (ex.plan.repeat, fed.first()) {
        (Some(n), _) => g.i64s(&[n as i64], &[1]),
        (None, Some(s)) => g.node("Shape", &[s], vec![]),
        (None, None) => g.i64s(&[0], &[1]),
    };
    let mut input_tensor = |g: &mut Graph, id: crate::syntax::NameId| -> String {
        let _ = g;
        names.text(id).to_owned()
    };
    // Features, one column each, f64 → f32, masked to their phase.
    let mut cols = Vec::new();
    for f in &l.features {
        let mut v = g.expr(&f.ops, &mut input_tensor);
        if f.logit {
            let one = g.f64s(&[1.0], &[1]);
            let lv = g.node("Log", &[&v], vec![]);
            let om = g.node("Sub", &[&one, &v], vec![]);
            let lom = g.node("Log", &[&om], vec![]);
            v = g.node("Sub", &[&lv, &lom], vec![]);
        }
        let e = g.node("Expand", &[&v, &shape_l], vec![]);
        let ax = g.i64s(&[1], &[1]);
        cols.push(g.node("Unsqueeze", &[&e, &ax], vec![]));
    }
    let three = {
        let pp = g.i64s(&[p, p], &[2]);
        g.node("Concat", &[&shape_l, &pp], vec![int("axis", 0)])
    };
    let mut eye = vec![0.0f32; (p * p) as usize];
    for i in 0..p as usize {
        eye[i * p as usize + i] = 1.0;
    }
    let eye = g.f32s("clock", &eye, &[1, p, p]);
    let clock = g.node("Expand", &[&eye, &three], vec![]);
    let x3 = if cols.is_empty() {
        clock
    } else {
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        let fcat = g.node("Concat", &refs, vec![int("axis", 1)]);
        let f32v = g.node("Cast", &[&fcat], vec![int("to", FLOAT as i64)]);
        let ax = g.i64s(&[1], &[1]);
        let f3 = g.node("Unsqueeze", &[&f32v, &ax], vec![]);
        let nf = l.features.len();
        let mut mask = vec![0.0f32; l.phases * nf];
        for (j, f) in l.features.iter().enumerate() {
            mask[f.phase * nf + j] = 1.0;
        }
        let mask = g.f32s("phase_mask", &mask, &[p, nf as i64]);
        let fm = g.node("Mul", &[&f3, &mask], vec![]);
        g.node("Concat", &[&clock, &fm], vec![int("axis", 2)])
    };
    let xshape = g.i64s(&[-1, 1, d], &[3]);
    let x = g.node("Reshape", &[&x3, &xshape], vec![]);
    // The initial state: the start values, scaled.
    let mut starts = Vec::new();
    for u in &ex.plan.units {
        let v = if u.init.is_empty() {
            g.f64s(&[0.0], &[1])
        } else {
            g.expr(&u.init, &mut input_tensor)
        };
        let ax = g.i64s(&[1], &[1]);
        starts.push(g.node("Reshape", &[&v, &ax], vec![]));
    }
    let refs: Vec<&str> = starts.iter().map(String::as_str).collect();
    let c0 = g.node("Concat", &refs, vec![int("axis", 0)]);
    let inv = g.f64s(&[1.0 / l.scale], &[1]);
    let c0 = g.node("Mul", &[&c0, &inv], vec![]);
    let c0 = g.node("Cast", &[&c0], vec![int("to", FLOAT as i64)]);
    let s3 = g.i64s(&[1, 1, h], &[3]);
    let c0 = g.node("Reshape", &[&c0, &s3], vec![]);
    let shown: Vec<f32> = l.open[l.phases - 1]
        .iter()
        .map(|&o| if o { 1.0 } else { 0.0 })
        .collect();
    let shown = g.f32s("h0_mask", &shown, &[1, 1, h]);
    let t0 = g.node("Tanh", &[&c0], vec![]);
    let h0 = g.node("Mul", &[&t0, &shown], vec![]);
    // The weights in ONNX's layout.
    let hu = l.hidden;
    let du = l.input();
    let mut w = Vec::with_capacity(4 * hu * du);
    let mut r = Vec::with_capacity(4 * hu * hu);
    let mut wb = Vec::with_capacity(4 * hu);
    let mut rb = Vec::with_capacity(4 * hu);
    for gate in ONNX_FROM_TORCH {
        for u in 0..hu {
            let row = gate * hu + u;
            w.extend_from_slice(&l.w_ih[row * du..(row + 1) * du]);
            r.extend_from_slice(&l.w_hh[row * hu..(row + 1) * hu]);
            wb.push(l.b_ih[row]);
            rb.push(l.b_hh[row]);
        }
    }
    wb.extend(rb);
    let w = g.f32s("W", &w, &[1, 4 * h, d]);
    let r = g.f32s("R", &r, &[1, 4 * h, h]);
    let b = g.f32s("B", &wb, &[1, 8 * h]);
    g.node_to(
        "LSTM",
        &[&x, &w, &r, &b, "", &h0, &c0],
        vec![int("hidden_size", h)],
        &["Y", "", "Y_c"],
    );
    // Decoded values: inside the loop from Y at a phase, after it from Y_c.
    let s = g.f64s(&[l.scale], &[1]);
    let yshape = g.i64s(&[-1, p, h], &[3]);
    let y3 = g.node("Reshape", &["Y", &yshape], vec![]);
    let y3 = g.node("Cast", &[&y3], vec![int("to", DOUBLE as i64)]);
    let y3 = g.node("Mul", &[&y3, &s], vec![]);
    let hshape = g.i64s(&[h], &[1]);
    let yc = g.node("Reshape", &["Y_c", &hshape], vec![]);
    let yc = g.node("Cast", &[&yc], vec![int("to", DOUBLE as i64)]);
    let yc = g.node("Mul", &[&yc, &s], vec![]);
    let mut outputs = Vec::new();
    let units = &ex.plan.units;
    for (ri, read) in ex.plan.reads.iter().enumerate() {
        let out = read_name(ri);
        let v = match read.phase {
            Some(ph) => {
                let idx = g.i64s(&[ph as i64], &[]);
                let at = g.node("Gather", &[&y3, &idx], vec![int("axis", 1)]);
                let mut lookup = |g: &mut Graph, id: crate::syntax::NameId| match units
                    .iter()
                    .position(|u| u.name == id)
                {
                    Some(u) => {
                        let idx = g.i64s(&[u as i64], &[]);
                        g.node("Gather", &[&at, &idx], vec![int("axis", 1)])
                    }
                    None => names.text(id).to_owned(),
                };
                let v = g.expr(&read.expr, &mut lookup);
                g.node("Expand", &[&v, &shape_l], vec![])
            }
            None => {
                let mut lookup = |g: &mut Graph, id: crate::syntax::NameId| match units
                    .iter()
                    .position(|u| u.name == id)
                {
                    Some(u) => {
                        let idx = g.i64s(&[u as i64], &[1]);
                        g.node("Gather", &[&yc, &idx], vec![int("axis", 0)])
                    }
                    None => names.text(id).to_owned(),
                };
                let v = g.expr(&read.expr, &mut lookup);
                let one = g.i64s(&[1], &[1]);
                g.node("Expand", &[&v, &one], vec![])
            }
        };
        g.node_to("Identity", &[&v], vec![], &[&out]);
        let dims: Vec<Result<i64, &str>> = if read.phase.is_some() {
            vec![if ex.plan.repeat.is_some() {
                Ok(ex.max_len as i64)
            } else {
                Err("L")
            }]
        } else {
            vec![Ok(1)]
        };
        outputs.push(value_info(
            &out,
            DOUBLE,
            &dims,
            &format!("line {}: read {}", read.line, read.text),
        ));
    }
    // Validity: every input within its range, the length within the domain.
    let mut checks = Vec::new();
    for (i, (name, used)) in ex.inputs.iter().enumerate() {
        if let (true, Some((lo, hi))) = (*used, ex.ranges.scalars.get(i).copied().flatten()) {
            checks.push(within(&mut g, name, lo, hi));
        }
    }
    for (i, (name, fed)) in ex.streams.iter().enumerate() {
        if !*fed {
            continue;
        }
        if let Some((lo, hi)) = ex.ranges.streams.get(i).copied().flatten() {
            let mn = g.node("ReduceMin", &[name], vec![int("keepdims", 1)]);
            let mx = g.node("ReduceMax", &[name], vec![int("keepdims", 1)]);
            let lo = g.f64s(&[lo], &[1]);
            let hi = g.f64s(&[hi], &[1]);
            checks.push(g.node("GreaterOrEqual", &[&mn, &lo], vec![]));
            checks.push(g.node("LessOrEqual", &[&mx, &hi], vec![]));
        }
        let sh = g.node("Shape", &[name], vec![]);
        checks.push(g.node("Equal", &[&sh, &shape_l], vec![]));
    }
    if ex.plan.repeat.is_none() {
        let most = g.i64s(&[ex.max_len as i64], &[1]);
        let least = g.i64s(&[1], &[1]);
        checks.push(g.node("LessOrEqual", &[&shape_l, &most], vec![]));
        checks.push(g.node("GreaterOrEqual", &[&shape_l, &least], vec![]));
    }
    let mut valid = g.init("true", BOOL, &[1], vec![1]);
    for c in checks {
        valid = g.node("And", &[&valid, &c], vec![]);
    }
    g.node_to("Identity", &[&valid], vec![], &["valid"]);
    outputs.push(value_info(
        "valid",
        BOOL,
        &[Ok(1)],
        "true when the inputs are inside the domain the bound is stated for",
    ));
    let graph = GraphProto {
        node: g.nodes,
        name: "wb_export".into(),
        initializer: g.inits,
        doc_string: String::new(),
        input: inputs,
        output: outputs,
    };
    ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "wb".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string:
            "A .wb program exported by `wb export`: one standard LSTM layer; see docs/export.md"
                .into(),
        graph: Some(graph),
        metadata_props: metadata
            .into_iter()
            .map(|(key, value)| StringStringEntryProto { key, value })
            .collect(),
    }
    .encode_to_vec()
}

fn within(g: &mut Graph, name: &str, lo: f64, hi: f64) -> String {
    let lo = g.f64s(&[lo], &[1]);
    let hi = g.f64s(&[hi], &[1]);
    let a = g.node("GreaterOrEqual", &[name, &lo], vec![]);
    let b = g.node("LessOrEqual", &[name, &hi], vec![]);
    g.node("And", &[&a, &b], vec![])
}
