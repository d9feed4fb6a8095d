// Parameter initialisers and the model-level presets of DESIGN.md.
//   fan_in = in * kh * kw (linear: in), fan_out = out * kh * kw (linear: out); a bias uses its
//   weight's fans.  pytorch = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.

import Core
import Foundation

public enum Initializer: Equatable, Sendable, CustomStringConvertible {
    case normal(mean: Double, std: Double)
    case uniform(Double, Double)
    case constant(Double)
    case xavierUniform, xavierNormal, heNormal, heUniform
    case pytorch

    public static let zeros = Initializer.constant(0)

    public var description: String {
        switch self {
        case .normal(let m, let s): return m == 0 ? "N(0, \(s))" : "N(\(m), \(s))"
        case .uniform(let a, let b): return "U(\(a), \(b))"
        case .constant(let c): return c == 0 ? "zeros" : "constant \(c)"
        case .xavierUniform: return "xavier_uniform"
        case .xavierNormal: return "xavier_normal"
        case .heNormal: return "he_normal"
        case .heUniform: return "he_uniform"
        case .pytorch: return "U(±1/sqrt(fan_in))"
        }
    }

    /// Fills `count` values. Fans come from the weight tensor of the layer.
    public func fill(_ p: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, rng: inout SplitMix64) {
        func uniform(_ a: Double, _ b: Double) {
            for i in 0..<count { p[i] = Float(a + (b - a) * rng.nextUnitDouble()) }
        }
        func normal(_ mean: Double, _ std: Double) {
            for i in 0..<count { p[i] = Float(mean + std * rng.nextNormal()) }
        }
        let fi = Double(max(fanIn, 1)), fo = Double(max(fanOut, 1))
        switch self {
        case .normal(let m, let s): normal(m, s)
        case .uniform(let a, let b): uniform(a, b)
        case .constant(let c): p.update(repeating: Float(c), count: count)
        case .xavierUniform: let b = (6 / (fi + fo)).squareRoot(); uniform(-b, b)
        case .xavierNormal: normal(0, (2 / (fi + fo)).squareRoot())
        case .heNormal: normal(0, (2 / fi).squareRoot())
        case .heUniform: let b = (6 / fi).squareRoot(); uniform(-b, b)
        case .pytorch: let b = 1 / fi.squareRoot(); uniform(-b, b)
        }
    }

    /// Reads `{normal: {mean, std}}`, `{normal: 0.01}`, `{uniform: [a, b]}`, `{constant: c}`, a bare
    /// number (constant), or one of the words zeros, xavier_uniform, xavier_normal, he_normal,
    /// he_uniform, pytorch.
    public static func parse(_ c: ConfigCursor) throws -> Initializer {
        let words = "zeros, xavier_uniform, xavier_normal, he_normal, he_uniform, pytorch, {normal: {mean, std}}, {uniform: [a, b]}, {constant: c}"
        switch c.value {
        case .scalar(let s):
            switch s {
            case "zeros": return .zeros
            case "ones": return .constant(1)
            case "xavier_uniform": return .xavierUniform
            case "xavier_normal": return .xavierNormal
            case "he_normal": return .heNormal
            case "he_uniform": return .heUniform
            case "pytorch": return .pytorch
            default:
                if let v = Double(s), v.isFinite { return .constant(v) }
                throw InputError("\(c.file): \(c.path): unknown initialiser '\(s)' (expected one of: \(words))")
            }
        case .map(let entries) where entries.count == 1:
            let m = try c.map(allowed: ["normal", "uniform", "constant"])
            if let n = m["normal"] {
                if case .scalar = n.value { return .normal(mean: 0, std: try nonNegative(n)) }
                let nm = try n.map(allowed: ["mean", "std"])
                return .normal(mean: try nm["mean"]?.double() ?? 0, std: try nm["std"].map(nonNegative) ?? 0.01)
            }
            if let u = m["uniform"] {
                let items = try u.list()
                guard items.count == 2 else { throw u.fail("a list [a, b]") }
                let a = try items[0].double(), b = try items[1].double()
                guard a <= b else { throw u.fail("a list [a, b] with a <= b") }
                return .uniform(a, b)
            }
            return .constant(try m.required("constant").double())
        default:
            throw c.fail("an initialiser (\(words))")
        }
    }

    private static func nonNegative(_ c: ConfigCursor) throws -> Double {
        let v = try c.double()
        guard v >= 0 else { throw c.fail("a standard deviation >= 0") }
        return v
    }
}

/// A weight and a bias initialiser; either may be left to the preset.
public struct ParameterInit: Equatable, Sendable {
    public var weight: Initializer?
    public var bias: Initializer?
    public init(weight: Initializer? = nil, bias: Initializer? = nil) { self.weight = weight; self.bias = bias }

    static func parse(_ c: ConfigCursor) throws -> ParameterInit {
        let m = try c.map(allowed: ["weight", "bias"])
        return ParameterInit(weight: try m["weight"].map(Initializer.parse), bias: try m["bias"].map(Initializer.parse))
    }
}

/// The model-level default.
public enum InitPreset: Equatable, Sendable, CustomStringConvertible {
    case pytorch, alexnet, he, xavier
    case custom(ParameterInit)

    public static func parse(_ c: ConfigCursor) throws -> InitPreset {
        if case .scalar(let s) = c.value {
            switch s {
            case "pytorch": return .pytorch
            case "alexnet": return .alexnet
            case "he": return .he
            case "xavier": return .xavier
            default:
                throw InputError("\(c.file): \(c.path): unknown init preset '\(s)' (expected one of: pytorch, alexnet, he, xavier, {weight: ..., bias: ...})")
            }
        }
        return .custom(try ParameterInit.parse(c))
    }

    public var description: String {
        switch self {
        case .pytorch: return "pytorch"
        case .alexnet: return "alexnet"
        case .he: return "he"
        case .xavier: return "xavier"
        case .custom(let p): return "{weight: \(p.weight?.description ?? "pytorch"), bias: \(p.bias?.description ?? "pytorch")}"
        }
    }

    /// The convolutions that get bias 1 under `alexnet`, by their 1-based position among the
    /// network's convolutions in execution order (AlexNet's conv2, conv4 and conv5, whatever a
    /// spec names them).
    public static let alexnetBiasOneConvolutions: Set<Int> = [2, 4, 5]
    /// The most convolutions the `alexnet` preset can number (AlexNet has five).
    public static let alexnetMaxConvolutions = 5

    /// The preset's choice for one parameterised layer. `convolution` is the layer's 1-based
    /// position among the network's convolutions (nil for any other layer); `hidden` is true for
    /// every linear layer but the last one of the network.
    public func resolve(convolution: Int?, isLinear: Bool, hidden: Bool) -> (weight: Initializer, bias: Initializer) {
        switch self {
        case .pytorch: return (.pytorch, .pytorch)
        case .he: return (.heNormal, .zeros)
        case .xavier: return (.xavierUniform, .zeros)
        case .alexnet:
            let one = convolution.map(Self.alexnetBiasOneConvolutions.contains) ?? false || (isLinear && hidden)
            return (.normal(mean: 0, std: 0.01), .constant(one ? 1 : 0))
        case .custom(let p): return (p.weight ?? .pytorch, p.bias ?? .pytorch)
        }
    }
}
