import Messenger

/// The record fields of stored messages as the parallel arrays `PostgresRecordSchema` reads: one
/// entry per stored row, all NULL for a row without a record.
struct RecordArrays: Sendable {
    var ids: [String?] = [], types: [String?] = [], transports: [String?] = [], statuses: [String?] = []
    var origins: [String?] = [], errorTypes: [String?] = [], errorMessages: [String?] = [], errorHandlers: [String?] = []
    var attempts: [String?] = []

    init(_ records: [(RecordedMessage?, String)]) {
        for (record, transport) in records { append(record, transport: transport) }
    }

    mutating func append(_ record: RecordedMessage?, transport: String) {
        ids.append(record?.id)
        types.append(record?.type)
        transports.append(record.map { _ in transport })
        statuses.append(record?.status.rawValue)
        origins.append(record?.origin)
        errorTypes.append(record?.errorType)
        errorMessages.append(record?.errorMessage)
        errorHandlers.append(record?.errorHandler)
        attempts.append(record?.attempts.map(String.init))
    }

    /// How many parameters (arrays) they take.
    static let count = 9

    var parameters: [PostgresValue] {
        [ids, types, transports, statuses, origins, errorTypes, errorMessages, errorHandlers, attempts].map { .optionalArray($0) }
    }
}

/// How acknowledged messages ended, as the arrays `PostgresRecordSchema.acknowledged` reads,
/// parallel to the claims.
struct OutcomeArrays: Sendable {
    var statuses: [String?] = [], results: [String?] = []
    var errorTypes: [String?] = [], errorMessages: [String?] = [], errorHandlers: [String?] = []
    var attempts: [Int64] = [], starts: [Int64] = [], workers: [String?] = []

    init(_ acks: [PendingAck]) {
        for ack in acks {
            statuses.append(ack.outcome?.status.rawValue)
            var result: String?
            var error: ErrorDetailsStamp?
            switch ack.outcome?.outcome {
            case .completed(let json): result = json
            case .failed(let details): error = details
            case .cancelled, nil: break
            }
            results.append(result)
            errorTypes.append(error?.errorType)
            errorMessages.append(error?.message)
            errorHandlers.append(error?.location)
            let start = ack.outcome?.start
            attempts.append(Int64(start?.attempt ?? 0))
            starts.append(start?.startedAtMilliseconds ?? 0)
            workers.append(start?.workerId)
        }
    }

    var parameters: [PostgresValue] {
        [statuses, results, errorTypes, errorMessages, errorHandlers].map { .optionalArray($0) }
            + [.integers(attempts), .integers(starts), .optionalArray(workers)]
    }
}

/// An acknowledgement waiting for the next claim: the claim and how the handling ended.
struct PendingAck: Sendable {
    let claim: PostgresClaim
    let outcome: MessageOutcomeStamp?
}
