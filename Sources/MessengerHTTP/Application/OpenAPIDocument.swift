import Yams

/// The OpenAPI document `/api/openapi.yaml` serves: the messenger's own, with the `paths` and
/// `components.schemas` of each application API added in order (a path or schema the messenger
/// already documents is refused: two definitions of one would hide one of them).
enum OpenAPIDocument {
    static func merged(_ base: String, with additions: [String]) throws -> String {
        guard !additions.isEmpty else { return base }
        guard case .mapping(var root)? = try Yams.compose(yaml: base) else { throw OpenAPIError("the messenger's OpenAPI document is not a mapping") }
        for (index, addition) in additions.enumerated() {
            guard case .mapping(let extra)? = try Yams.compose(yaml: addition) else {
                throw OpenAPIError("the OpenAPI text of application API #\(index + 1) is not a YAML mapping")
            }
            root["paths"] = .mapping(try merge(root["paths"]?.mapping, extra["paths"]?.mapping, what: "path"))
            if let schemas = extra["components"]?.mapping?["schemas"]?.mapping {
                var components = root["components"]?.mapping ?? [:]
                components["schemas"] = .mapping(try merge(components["schemas"]?.mapping, schemas, what: "schema"))
                root["components"] = .mapping(components)
            }
        }
        return try Yams.serialize(node: .mapping(root), allowUnicode: true)
    }

    private static func merge(_ base: Node.Mapping?, _ extra: Node.Mapping?, what: String) throws -> Node.Mapping {
        var result = base ?? [:]
        for (key, value) in extra ?? [:] {
            guard result[key] == nil else { throw OpenAPIError("an application API documents the \(what) \(key.string ?? "?") the messenger already has") }
            result[key] = value
        }
        return result
    }
}

/// An application's OpenAPI text that cannot be merged.
struct OpenAPIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
