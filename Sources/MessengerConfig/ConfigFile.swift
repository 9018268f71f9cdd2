import Foundation
import Yams

/// A YAML configuration file of the project: read (nil when absent) and composed into nodes, with
/// errors that name the file and line.
enum ConfigFile {
    /// The text of `path` (relative to the project unless absolute); nil when there is no such file.
    /// A folder at that path, or a file that cannot be read, is an error naming it.
    static func read(_ path: String, projectDirectory: String) throws -> String? {
        try readText(fullPath(path, projectDirectory: projectDirectory), named: path)
    }

    static func fullPath(_ path: String, projectDirectory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: projectDirectory).appendingPathComponent(path).path
    }

    /// The text of the file at `fullPath`, nil when there is none; `name` names it in errors.
    static func readText(_ fullPath: String, named name: String) throws -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: fullPath, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else { throw ConfigError(file: name, "\(fullPath) is a folder, not a file") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: fullPath))
        } catch {
            throw ConfigError(file: name, "cannot read \(fullPath): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(file: name, "\(fullPath) is not UTF-8 text") }
        return text
    }

    /// The root node of `text`; nil for an empty document.
    static func compose(_ text: String, file: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw malformed(error, file: file)
        }
    }

    static func malformed(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let what = [context?.description, problem].compactMap { $0 }.joined(separator: " ")
            return ConfigError(file: file, line: mark.line, "malformed YAML at column \(mark.column): \(what)")
        default:
            return ConfigError(file: file, "malformed YAML: \(error)")
        }
    }
}
