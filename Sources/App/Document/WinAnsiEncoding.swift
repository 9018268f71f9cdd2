import Foundation

/// Text as the PDF standard fonts' WinAnsiEncoding (Windows-1252) writes it: every French letter
/// (é, è, ç, œ, Œ, …), typographic quotes, dashes and €. A Latin letter outside it is written without
/// its diacritic (Ł → L, ş → s, ő → o: a name stays readable); anything else becomes `?`.
enum WinAnsiEncoding {
    /// Windows-1252's 0x80–0x9F, where it differs from Latin-1.
    private static let high: [Unicode.Scalar: UInt8] = [
        "€": 0x80, "‚": 0x82, "ƒ": 0x83, "„": 0x84, "…": 0x85, "†": 0x86, "‡": 0x87, "ˆ": 0x88, "‰": 0x89, "Š": 0x8A,
        "‹": 0x8B, "Œ": 0x8C, "Ž": 0x8E, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95, "–": 0x96, "—": 0x97,
        "˜": 0x98, "™": 0x99, "š": 0x9A, "›": 0x9B, "œ": 0x9C, "ž": 0x9E, "Ÿ": 0x9F,
    ]

    /// The bytes of `text`, NUL-terminated for libharu. Decomposed accents are composed first; control
    /// characters become spaces.
    static func encode(_ text: String) -> [CChar] {
        var bytes: [CChar] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            let value = scalar.value
            let byte: UInt8
            switch value {
            case 0x20..<0x7F, 0xA0...0xFF: byte = UInt8(value)
            case 0..<0x20, 0x7F..<0xA0: byte = 0x20
            default: byte = high[scalar] ?? folded(scalar)
            }
            bytes.append(CChar(bitPattern: byte))
        }
        bytes.append(0)
        return bytes
    }

    /// Latin letters whose diacritic is not a combining mark (no decomposition to fold).
    private static let unfoldable: [Unicode.Scalar: UInt8] = [
        "ł": UInt8(ascii: "l"), "Ł": UInt8(ascii: "L"), "đ": UInt8(ascii: "d"), "Đ": UInt8(ascii: "D"), "ħ": UInt8(ascii: "h"),
        "Ħ": UInt8(ascii: "H"), "ı": UInt8(ascii: "i"), "ŀ": UInt8(ascii: "l"), "Ŀ": UInt8(ascii: "L"),
    ]

    /// A letter outside Windows-1252 without its diacritic, when that is printable ASCII; else `?`.
    private static func folded(_ scalar: Unicode.Scalar) -> UInt8 {
        if let letter = unfoldable[scalar] { return letter }
        let folded = String(scalar).folding(options: .diacriticInsensitive, locale: nil).unicodeScalars
        guard folded.count == 1, let letter = folded.first, (0x20..<0x7F).contains(letter.value) else { return UInt8(ascii: "?") }
        return UInt8(letter.value)
    }
}
