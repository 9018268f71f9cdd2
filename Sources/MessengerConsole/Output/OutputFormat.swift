import ArgumentParser
import Foundation

/// `--format txt|json`: tables for people, JSON for programs.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case txt
    case json
}

/// Prints an `Encodable` value as pretty, sorted JSON on standard output.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Prints a value as one line of JSON (a stream of changes: `--watch`).
func printJSONLine(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
