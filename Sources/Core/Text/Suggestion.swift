// "Did you mean": the one candidate closest to a mistyped word, by edit distance (insertions,
// deletions, substitutions and swaps of two neighbouring letters each cost 1), offered only when it
// is close: at most 1 edit for words of up to 4 letters, at most 2 for longer ones, and never the
// whole word (a 2-letter word is not "close" to every other 2-letter word).

/// The candidate nearest to `word` when it is close enough to suggest, else nil. Ties go to the
/// candidate listed first; an exact match is not a suggestion.
public func closestMatch(to word: String, among candidates: [String]) -> String? {
    let typed = Array(word.lowercased())
    var best: (candidate: String, distance: Int)? = nil
    for candidate in candidates {
        let d = editDistance(typed, Array(candidate.lowercased()))
        guard d > 0 || candidate != word else { continue }
        if best == nil || d < best!.distance { best = (candidate, d) }
    }
    guard let best else { return nil }
    let longest = max(typed.count, best.candidate.count)
    let allowed = longest <= 4 ? 1 : 2
    return best.distance <= allowed && best.distance < longest ? best.candidate : nil
}

/// " (did you mean 'x'?)" for `word` among `candidates`, or "" when nothing is close.
public func didYouMean(_ word: String, among candidates: [String]) -> String {
    closestMatch(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}

/// Optimal string alignment distance between `a` and `b` (Levenshtein plus adjacent swaps).
/// O(|a| x |b|) time; callers pass keys and command names, a few dozen characters at most.
public func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, previous2[j - 2] + 1) }
            current[j] = d
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
