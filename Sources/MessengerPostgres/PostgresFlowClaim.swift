import Messenger

/// A claim that honours `limits:` and ordered groups, in one transaction under the table's flow lock
/// (`PostgresSchema.lockFlow`): it reads each rule's room (running counts, the rate buckets, locked
/// until it commits), the due heads of groups that no full rule matches, picks what may start, and
/// claims it together with free rows, in due order.
struct PostgresFlowClaim {
    let schema: PostgresSchema
    /// The rules that limit starts in the claimed queues.
    let rules: [FlowRule]
    let queues: [String]
    let owner: Int64
    let held: HeldClaims

    /// The rows claimed (nil when no row under flow control may start), and when to look again for
    /// rows under flow control that wait (epoch ms on the server's clock; nil: none waits, or some started).
    struct Outcome: Sendable {
        var rows: [[String?]]?
        var nextLook: Int64?
        /// Due rows wait on a group, a full limit or a spent rate (not only on their due time).
        var blocked = false
    }

    /// Brings waiting free rows stored before the current rules under them (once per change of the
    /// rules: the table remembers the keys it adopted for).
    static func adoptWaitingRows(_ limits: FlowLimits, schema: PostgresSchema, on connection: isolated PostgresConnection) throws {
        let keys = limits.controlledKeys
        guard (try connection.query(PostgresSchema.adoptedRules, [.text(schema.table)]).rows.first?[0] ?? "") != keys else { return }
        try connection.query(PostgresSchema.lockFlow, [.text(schema.table)])
        let conditions = limits.rules.filter(\.limitsStarts)
            .map { "(" + $0.sqlCondition(typeColumn: "(headers::jsonb->>'type')", queueColumn: "queue_name") + ")" }
        if !conditions.isEmpty { try connection.query(schema.adopt(conditions.joined(separator: " OR "))) }
        try connection.query(PostgresSchema.recordAdoptedRules, [.text(schema.table), .text(keys)])
    }

    /// Each rule's running count and tokens now; `locking` the buckets until the transaction ends.
    func readRoom(locking: Bool, on connection: isolated PostgresConnection) throws -> FlowRoom {
        let concurrencyRules = rules.indices.filter { rules[$0].concurrency != nil }
        var running = Array(repeating: 0, count: rules.count)
        if !concurrencyRules.isEmpty {
            let conditions = concurrencyRules.map { rules[$0].sqlCondition(typeColumn: "flow_type", queueColumn: "queue_name") }
            let counts = try connection.query(schema.running(conditions)).rows.first ?? []
            for (position, index) in concurrencyRules.enumerated() { running[index] = Int(counts[position] ?? "0") ?? 0 }
        }
        var tokens: [Int: Double] = [:]
        let rated = rules.indices.filter { rules[$0].rateLimit != nil }
        if !rated.isEmpty {
            if locking {
                // A bucket made here exists before it is locked: claims of other tables sharing its rule wait for this one.
                for index in rated {
                    try connection.query(PostgresSchema.createBucket, [.text(rules[index].key), .text(String(rules[index].rateLimit?.limit ?? 0))])
                }
            }
            let sql = PostgresSchema.readBuckets + (locking ? " FOR UPDATE" : "")
            let buckets = try connection.query(sql, [.array(rated.map { rules[$0].key })]).rows
            let stored = Dictionary(buckets.map { ($0[0] ?? "", (Double($0[1] ?? "") ?? 0, Double($0[2] ?? "") ?? 0)) }, uniquingKeysWith: { first, _ in first })
            for index in rated {
                guard let rate = rules[index].rateLimit else { continue }
                tokens[index] = stored[rules[index].key].map { rate.refilled($0.0, afterMilliseconds: $0.1) } ?? Double(rate.limit)
            }
        }
        return FlowRoom(rules: rules, running: running, tokens: tokens)
    }

    /// The due rows of the queues held back now, by cause.
    func heldBack(on connection: isolated PostgresConnection) throws -> HeldBackCounts {
        let flowRoom = try readRoom(locking: false, on: connection)
        let condition = { (rules: [FlowRule]) in
            rules.isEmpty ? "false" : rules.map { "(\($0.sqlCondition(typeColumn: "flow_type", queueColumn: "queue_name")))" }.joined(separator: " OR ")
        }
        let counts = try connection.query(schema.heldBack(queues: queues.count, full: condition(flowRoom.full), spent: condition(flowRoom.spent)),
                                          [PostgresSchema.queueParameter(queues)]).rows.first ?? []
        return HeldBackCounts(group: Int(counts[0] ?? "0") ?? 0, limit: Int(counts[1] ?? "0") ?? 0, rate: Int(counts[2] ?? "0") ?? 0)
    }

    /// Why the waiting row `id` is not started yet; nil when nothing holds it back (or it is not due).
    func waitingReason(id: Int64, on connection: isolated PostgresConnection) throws -> String? {
        guard let row = try connection.query(schema.waitingRow, [.int(id)]).rows.first else { return nil }
        return try readRoom(locking: false, on: connection).reason(type: row[0], queue: row[2] ?? "", group: row[1], earlierInGroup: Int(row[3] ?? "0") ?? 0)
    }

    /// Without the lock, whether a row under flow control is due in the queues: the outcome when
    /// none is (nothing to start; when to look again, if some wait for their due time), nil when the
    /// locked claim must look. Hundreds of workers, most of them with no such row due, then never
    /// queue on the table's flow lock (nor hold a pooled server connection while they wait there).
    func outcomeIfNoneDue(on connection: isolated PostgresConnection) throws -> Outcome? {
        let due = try connection.query(schema.nextFlowDue(queues: queues.count), [PostgresSchema.queueParameter(queues)]).rows.first
        let now = due?[1].flatMap { Int64($0) } ?? 0
        guard let earliest = due?[0].flatMap({ Int64($0) }) else { return Outcome(rows: nil, nextLook: nil) }
        return earliest > now ? Outcome(rows: nil, nextLook: earliest) : nil
    }

    func claim(limit: Int, firstStartsNow: Bool, on connection: isolated PostgresConnection) throws -> Outcome {
        let queueParameter = PostgresSchema.queueParameter(queues)
        try connection.query(PostgresSchema.lockFlow, [.text(schema.table)])
        let flowRoom = try readRoom(locking: true, on: connection)
        let tokens = flowRoom.tokens
        let room = flowRoom.room
        let blocked = rules.indices.filter { room[$0] == 0 }.map { rules[$0].sqlCondition(typeColumn: "flow_type", queueColumn: "queue_name") }
        let candidates = try connection.query(schema.flowCandidates(queues: queues.count, blocked: blocked, limit: limit * 4 + 8), [queueParameter]).rows.map {
            FlowSelection.Candidate(id: Int64($0[0] ?? "") ?? 0, type: $0[1], group: $0[2], queue: $0[3] ?? "")
        }
        let picked = FlowSelection.pick(candidates, rules: rules, room: room, limit: limit)
        guard !picked.ids.isEmpty else {
            let due = try connection.query(schema.nextFlowDue(queues: queues.count), [queueParameter]).rows.first
            let now = due?[1].flatMap { Int64($0) } ?? 0
            let earliest = due?[0].flatMap { Int64($0) }
            return Outcome(rows: nil, nextLook: FlowSelection.nextLook(earliestDue: earliest, now: now, rules: rules, room: room, tokens: tokens),
                           blocked: earliest.map { $0 <= now } ?? false)
        }
        held.claiming()
        let rows = try connection.query(schema.claimFlow(queues: queues.count), [
            .int(owner), .int(Int64(limit)), queueParameter, .text(firstStartsNow ? "true" : "false"), .integers(picked.ids),
        ]).rows
        held.hold(PostgresSchema.claims(of: rows, deliveriesIn: 3))
        // Columns 5 and 6: the claimed row's flow type (nil for a free row) and queue.
        let started = rows.filter { $0[6] != nil }.map { (type: $0[6] ?? nil, queue: $0[7] ?? "") }
        for (key, left) in flowRoom.tokensLeft(afterStarting: started) {
            try connection.query(PostgresSchema.writeBucket, [.text(key), .text(String(left))])
        }
        return Outcome(rows: rows, nextLook: nil)
    }
}
