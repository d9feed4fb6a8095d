// Which of dtrain's YAML files a parsed document is, by its top-level keys, so that a file given
// to the wrong command is named ("is a run config, not a model spec") instead of failing on its
// first unexpected key:
//   run config   a map with `model:` (DESIGN.md "Run config")
//   model spec   a map with `layers:` and no `model:` (DESIGN.md "Model spec")
//   experiment   a map with `base:` and no `model:`/`layers:` (configs/experiments)
// Anything else is `.other`; the parser of the expected kind then reports its own error.

public enum YAMLDocumentKind: Equatable, Sendable {
    case runConfig, modelSpec, experiment, other

    public init(_ document: ConfigValue) {
        guard case .map = document else { self = .other; return }
        if document["model"] != nil { self = .runConfig }
        else if document["layers"] != nil { self = .modelSpec }
        else if document["base"] != nil { self = .experiment }
        else { self = .other }
    }

    /// "a run config (it has a top-level model: key)", for messages.
    public var described: String {
        switch self {
        case .runConfig: return "a run config (it has a top-level model: key)"
        case .modelSpec: return "a model spec (it has a top-level layers: key)"
        case .experiment: return "an experiment file (it has a top-level base: key; run it with dtrain experiment)"
        case .other: return "YAML that is neither a run config nor a model spec"
        }
    }
}

/// What a checkpoint given where YAML is expected is called in messages.
public let safeTensorsDescription = "a safetensors checkpoint, not YAML"
