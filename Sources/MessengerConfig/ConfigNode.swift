import Yams

/// A YAML node with its location, so that every error names the file, line and key.
struct ConfigNode {
    let node: Node
    let file: String
    let path: String
    /// The line of the key this node is the value of: where a reader looks for the mistake.
    var keyLine: Int? = nil

    var line: Int? { keyLine ?? node.mark?.line }

    func error(_ message: String) -> ConfigError { ConfigError(file: file, line: line, key: path.isEmpty ? nil : path, message) }

    func child(_ key: String, _ value: Node, keyLine: Int? = nil) -> ConfigNode {
        ConfigNode(node: value, file: file, path: path.isEmpty ? key : "\(path).\(key)", keyLine: keyLine)
    }

    /// The entries of a mapping, in file order; an error if this is not a mapping.
    func entries() throws -> [(String, ConfigNode)] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" { return [] }
        guard let mapping = node.mapping else { throw error("expected a mapping (key: value lines)") }
        return try mapping.map { key, value in
            guard let name = key.string else { throw ConfigNode(node: key, file: file, path: path).error("keys must be plain strings") }
            return (name, child(name, value, keyLine: key.mark?.line))
        }
    }

    /// The entries of a mapping whose keys must be among `allowed`.
    func entries(allowed: [String]) throws -> [String: ConfigNode] {
        var result: [String: ConfigNode] = [:]
        for (key, value) in try entries() {
            guard allowed.contains(key) else {
                throw value.error("unknown key \"\(key)\"; expected one of: \(allowed.joined(separator: ", "))")
            }
            result[key] = value
        }
        return result
    }

    func string(_ environment: Environment) throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a single value") }
        return try EnvPlaceholder.resolve(scalar.string, environment: environment, at: self)
    }

    func int(_ environment: Environment, in range: ClosedRange<Int>) throws -> Int {
        let text = try string(environment)
        guard let value = Int(text), range.contains(value) else {
            throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    func double(_ environment: Environment, in range: ClosedRange<Double>) throws -> Double {
        let text = try string(environment)
        guard let value = Double(text), range.contains(value) else {
            throw error("expected a number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// A single string or a list of strings.
    func strings(_ environment: Environment) throws -> [String] {
        if let sequence = node.sequence {
            return try sequence.enumerated().map { index, item in try child("\(index)", item).string(environment) }
        }
        return [try string(environment)]
    }
}

/// Replaces `%env(NAME)%` by the variable's value.
enum EnvPlaceholder {
    static func resolve(_ text: String, environment: Environment, at node: ConfigNode) throws -> String {
        guard text.contains("%env(") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "%env(") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].range(of: ")%") else {
                throw node.error("unterminated %env(...)% placeholder in \"\(text)\"")
            }
            let name = String(rest[start.upperBound..<end.lowerBound])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw node.error("invalid environment variable name \"\(name)\" in %env(...)%")
            }
            guard let value = environment[name] else {
                throw node.error("environment variable \(name) is not set; set it in the environment, .env.local or .env")
            }
            result += value
            rest = rest[end.upperBound...]
        }
        return result + rest
    }
}

import Foundation
