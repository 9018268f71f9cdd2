import Foundation

/// Environment variables as the application sees them: the process environment first, then
/// `.env.local`, then `.env` in the project directory.
public struct Environment: Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// Loads `.env` and `.env.local` from `directory` under the process environment.
    public static func load(projectDirectory directory: String, process: [String: String] = ProcessInfo.processInfo.environment) throws -> Environment {
        var values: [String: String] = [:]
        for file in [".env", ".env.local"] {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(file).path
            guard let text = try ConfigFile.readText(path, named: file) else { continue }
            values.merge(try DotEnvParser.parse(text, file: file)) { _, later in later }
        }
        values.merge(process) { _, fromProcess in fromProcess }
        return Environment(values)
    }

    public subscript(name: String) -> String? { values[name] }
}

/// Reads `KEY=value` lines: comments, `export`, single and double quotes.
public enum DotEnvParser {
    public static func parse(_ text: String, file: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: index + 1, "expected NAME=value, got \"\(line)\"")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigError(file: file, line: index + 1, "invalid variable name \"\(name)\"")
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let quote = value.first, quote == "\"" || quote == "'" {
                guard value.count >= 2, value.last == quote else {
                    throw ConfigError(file: file, line: index + 1, "unterminated quote in the value of \(name)")
                }
                value = String(value.dropFirst().dropLast())
                if quote == "\"" { value = value.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"") }
            } else if let comment = value.range(of: " #") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            result[name] = value
        }
        return result
    }
}
