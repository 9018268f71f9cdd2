import Foundation
import Hummingbird
import NIOCore

/// What a request carries: query parameters, a JSON body, a form; read with size limits.
extension Request {
    /// Bodies larger than this are refused (413).
    static let bodyLimit = 1 << 20

    /// A query parameter, percent-decoded; nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[Substring(name)], !value.isEmpty else { return nil }
        return String(value)
    }

    /// A whole-number query parameter within `range`; nil when absent. Present but empty or not such
    /// a number is a 400 naming it.
    func integer(_ name: String, in range: ClosedRange<Int>, unit: String = "") throws -> Int? {
        guard let text = uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw HTTPProblem(.badRequest, "\(name) must be a whole number\(unit) from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// A `true`/`false` query parameter; nil when absent, a 400 naming it when it is anything else.
    func flag(_ name: String) throws -> Bool? {
        guard let text = uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = Bool(text) else { throw HTTPProblem(.badRequest, "\(name) must be true or false, got \"\(text)\"") }
        return value
    }

    /// The body as bytes, at most `bodyLimit`.
    mutating func bodyData() async throws -> Data {
        do {
            return Data(try await collectBody(upTo: Self.bodyLimit).readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw HTTPProblem(.contentTooLarge, "the request body is larger than \(Self.bodyLimit) bytes")
        }
    }

    /// The body decoded as JSON (snake_case keys); 400 naming the culprit when it does not decode;
    /// `ifEmpty` for an empty body (400 without it).
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, ifEmpty: T? = nil) async throws -> T {
        let data = try await bodyData()
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard let ifEmpty else { throw HTTPProblem(.badRequest, "the request body is empty; a JSON object is expected") }
            return ifEmpty
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw HTTPProblem(.badRequest, "the request body does not decode: \(Self.describe(error))")
        }
    }

    /// An `application/x-www-form-urlencoded` body.
    mutating func form() async throws -> [String: String] {
        let text = String(decoding: try await bodyData(), as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let name = parts.first?.removingPercentEncoding else { continue }
            fields[name] = parts.count > 1 ? parts[1].removingPercentEncoding ?? "" : ""
        }
        return fields
    }

    /// A decoding error in a sentence: which field, what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }
            return keys.isEmpty ? "the body" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context) == "the body" ? "" : path(context) + ".")\(snakeCase(key.stringValue)) is missing"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }

    /// A key as the client wrote it: `studentNumber` → `student_number` (bodies are decoded from snake_case).
    static func snakeCase(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
        return result
    }
}
