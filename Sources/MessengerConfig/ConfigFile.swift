import Foundation
import Yams

/// A YAML configuration file of the project: read (nil when absent) and composed into nodes, with
/// errors that name the file and line.
enum ConfigFile {
    /// The text of `path` (relative to the project unless absolute); nil when there is no such file.
    static func read(_ path: String, projectDirectory: String) throws -> String? {
        let fullPath = path.hasPrefix("/") ? path : URL(fileURLWithPath: projectDirectory).appendingPathComponent(path).path
        guard FileManager.default.fileExists(atPath: fullPath) else { return nil }
        do {
            return try String(contentsOfFile: fullPath, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, "cannot read the file: \(error.localizedDescription)")
        }
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
