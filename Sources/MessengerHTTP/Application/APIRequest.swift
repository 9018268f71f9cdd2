import Foundation
import Hummingbird

/// A request to an application's endpoint: who made it, the path's parameters, a JSON body read
/// with the server's limits, and the links the answer may give.
public struct APIRequest: Sendable {
    /// The underlying request (headers, query).
    public private(set) var request: Request
    /// Who asked (nil only on a route that needs no role).
    public let user: Operator?
    let parameters: [String: String]
    let basePath: String

    init(_ request: Request, input: RouteInput, basePath: String) {
        self.request = request
        user = input.user
        parameters = input.parameters
        self.basePath = basePath
    }

    /// A path parameter (`:id`); 400 when it is missing.
    public func parameter(_ name: String) throws -> String {
        guard let value = parameters[name], !value.isEmpty else { throw HTTPProblem(.badRequest, "the path has no \(name)") }
        return value
    }

    /// The body decoded from JSON with snake_case keys (at most 1 MiB); 400 naming the field that does
    /// not decode, 413 when too large.
    public mutating func decode<T: Decodable>(_ type: T.Type) async throws -> T {
        try await request.decodeJSON(type)
    }

    /// The URL of a message's status, `GET …/api/messages/{id}`.
    public func statusURL(messageId: String) -> String {
        MessageView.statusURL(messageId, basePath: basePath)
    }

    /// A path of this server, under the base path the API is mounted at.
    public func url(_ path: String) -> String { basePath + path }
}

/// An application endpoint's answers, with the same headers as the messenger's own.
public enum APIResponse {
    /// JSON with snake_case keys.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        try Responses.json(value, status: status)
    }

    /// A file to download or show (`inline`), never cached by shared caches; `etag` lets a client
    /// keep it.
    public static func file(_ data: Data, contentType: String, filename: String, etag: String? = nil) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentDisposition] = "inline; filename=\"\(filename.filter { $0.isASCII && $0 != "\"" && $0 != "\\" })\""
        headers[.cacheControl] = "private, max-age=0, must-revalidate"
        if let etag { headers[.eTag] = "\"\(etag)\"" }
        return Responses.data(data, contentType: contentType, headers: headers)
    }
}
