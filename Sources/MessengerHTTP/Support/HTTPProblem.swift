import HTTPTypes

/// A request the server refuses or cannot serve: its status, a message naming the culprit, and
/// what else the client should know (the JSON body's other fields, headers such as `Retry-After`).
/// Thrown by a route, it is answered as `{"error": message, …fields}` with its status.
public struct HTTPProblem: Error {
    public var status: HTTPResponse.Status
    public var message: String
    public var fields: [String: JSONValue] = [:]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, fields: [String: JSONValue] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers
    }
}
