import Messenger

/// A claim that honours `limits:` and ordered groups, inside the claim's `BEGIN IMMEDIATE`
/// transaction: one claim at a time on the file, so the running counts and tokens it reads still
/// hold when it writes. It reads each rule's room, the due heads of groups that no full rule
/// matches, picks what may start, and claims it together with free rows, in due order.
struct SQLiteFlowClaim {
    let schema: SQLiteSchema
    /// The rules that limit starts in the claimed queues.
    let rules: [FlowRule]
    let queues: [String]
    let now: Int64
    let token: String

    /// The rows claimed (nil when no row under flow control may start: the plain claim serves), and
    /// when to look again for rows under flow control that wait (nil: none waits, or some started).
    struct Outcome {
        var rows: [[SQLiteValue]]?
        var nextLook: Int64?
    }

    /// Brings waiting free rows stored before the current rules under them (once per change of the
    /// rules: the table remembers the keys it adopted for).
    static func adoptWaitingRows(_ limits: FlowLimits, schema: SQLiteSchema, on connection: isolated SQLiteConnection) throws {
        let keys = limits.controlledKeys
        guard (try connection.query(SQLiteSchema.adoptedRules, [.text(schema.table)]).first?[0].string ?? "") != keys else { return }
        let conditions = limits.rules.filter(\.limitsStarts)
            .map { "(" + $0.sqlCondition(typeColumn: "json_extract(headers, '$.type')", queueColumn: "queue_name") + ")" }
        if !conditions.isEmpty { try connection.query(schema.adopt(conditions.joined(separator: " OR "))) }
        try connection.query(SQLiteSchema.recordAdoptedRules, [.text(schema.table), .text(keys)])
    }

    /// Each rule's running count and tokens now.
    func readRoom(on connection: isolated SQLiteConnection) throws -> FlowRoom {
        let concurrencyRules = rules.indices.filter { rules[$0].concurrency != nil }
        var running = Array(repeating: 0, count: rules.count)
        if !concurrencyRules.isEmpty {
            let conditions = concurrencyRules.map { rules[$0].sqlCondition(typeColumn: "flow_type", queueColumn: "queue_name") }
            let counts = try connection.query(schema.running(conditions)).first ?? []
            for (position, index) in concurrencyRules.enumerated() { running[index] = Int(counts[position].int ?? 0) }
        }
        var tokens: [Int: Double] = [:]
        for index in rules.indices {
            guard let rate = rules[index].rateLimit else { continue }
            guard let bucket = try connection.query(SQLiteSchema.readBucket, [.text(rules[index].key)]).first else {
                tokens[index] = Double(rate.limit)
                continue
            }
            let stored: Double = if case .real(let value) = bucket[0] { value } else { Double(bucket[0].int ?? 0) }
            tokens[index] = rate.refilled(stored, afterMilliseconds: Double(now - (bucket[1].int ?? now)))
        }
        return FlowRoom(rules: rules, running: running, tokens: tokens)
    }

    /// The due rows of the queues held back now, by cause.
    func heldBack(on connection: isolated SQLiteConnection) throws -> HeldBackCounts {
        let flowRoom = try readRoom(on: connection)
        let condition = { (rules: [FlowRule]) in
            rules.isEmpty ? "0" : rules.map { "(\($0.sqlCondition(typeColumn: "flow_type", queueColumn: "queue_name")))" }.joined(separator: " OR ")
        }
        let counts = try connection.query(schema.heldBack(queueCount: queues.count, full: condition(flowRoom.full), spent: condition(flowRoom.spent)),
                                          [.integer(now)] + queues.map { .text($0) }).first ?? []
        return HeldBackCounts(group: Int(counts[0].int ?? 0), limit: Int(counts[1].int ?? 0), rate: Int(counts[2].int ?? 0))
    }

    /// Why the waiting row `id` is not started yet; nil when nothing holds it back (or it is not due).
    func waitingReason(id: Int64, on connection: isolated SQLiteConnection) throws -> String? {
        guard let row = try connection.query(schema.waitingRow, [.integer(id), .integer(now)]).first else { return nil }
        return try readRoom(on: connection).reason(type: row[0].string, queue: row[2].string ?? "", group: row[1].string, earlierInGroup: Int(row[3].int ?? 0))
    }

    func claim(limit: Int, on connection: isolated SQLiteConnection) throws -> Outcome {
        let queueValues = queues.map { SQLiteValue.text($0) }
        let flowRoom = try readRoom(on: connection)
        let tokens = flowRoom.tokens
        let room = flowRoom.room
        let blocked = rules.indices.filter { room[$0] == 0 }.map { rules[$0].sqlCondition(typeColumn: "flow_type", queueColumn: "queue_name") }
        let candidateRows = try connection.query(schema.flowCandidates(queueCount: queues.count, blocked: blocked, limit: limit * 4 + 8),
                                                 [.integer(now)] + queueValues)
        let candidates = candidateRows.map {
            FlowSelection.Candidate(id: $0[0].int ?? 0, type: $0[1].string, group: $0[2].string, queue: $0[3].string ?? "")
        }
        let picked = FlowSelection.pick(candidates, rules: rules, room: room, limit: limit)
        guard !picked.ids.isEmpty else {
            let earliest = try connection.query(schema.nextFlowDue(queueCount: queues.count), queueValues).first?[0].int
            return Outcome(rows: nil, nextLook: FlowSelection.nextLook(earliestDue: earliest, now: now, rules: rules, room: room, tokens: tokens))
        }
        let due = Dictionary(candidateRows.map { ($0[0].int ?? 0, $0[4].int ?? 0) }, uniquingKeysWith: { first, _ in first })
        let free = try connection.query(schema.freeCandidates(queueCount: queues.count), [.integer(now), .integer(Int64(limit))] + queueValues)
        let merged = (picked.ids.map { ($0, due[$0] ?? 0) } + free.map { ($0[0].int ?? 0, $0[1].int ?? 0) })
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
        let rows = try connection.query(schema.claimIds(merged.count), [.integer(now), .text(token)] + merged.map { .integer($0) })
        let claimed = Set(rows.compactMap { $0[0].int })
        let started = candidates.filter { claimed.contains($0.id) }.map { (type: $0.type, queue: $0.queue) }
        for (key, left) in flowRoom.tokensLeft(afterStarting: started) {
            try connection.query(SQLiteSchema.writeBucket, [.text(key), .real(left), .integer(now)])
        }
        return Outcome(rows: rows, nextLook: nil)
    }
}
