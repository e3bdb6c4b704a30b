# Il testo italiano di notebooks/src/08_full_gpt.py (formato:
# scripts/build_notebooks.py; termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=3b7af12b
# # Lezione 08: il GPT completo
#
# Nelle lezioni precedenti hai costruito ogni parte di un GPT, una alla volta. In questa
# lezione le metti insieme in `GPTLanguageModel`, addestri il modello, gli fai generare un
# testo alla Shakespeare, lo salvi, e misuri quanto costa un modello più largo e che cosa
# guadagna.
#
# **Cosa imparerai**
# - come gli embedding dei token e delle posizioni, i blocchi, `ln_f` e `lm_head` formano un
#   solo modello, e la forma dei dati dopo ogni parte;
# - che cosa contiene `nn.Linear` (`weight` ha forma `(out_features, in_features)`) e che
#   cosa calcola ($y = x W^\top + b$);
# - dove stanno i parametri di un GPT, e come contarli partendo dalla sua configurazione;
# - come addestrare il modello con una barra di avanzamento e come leggere le sue curve
#   della loss;
# - come la temperatura e il top-k cambiano il testo generato;
# - come salvare e ricaricare un checkpoint in modo sicuro;
# - quanto costa un `n_embd` più grande (parametri, tempo) e che cosa fa guadagnare (loss di
#   validazione), e di quanto deve cambiare la loss per distinguersi dal rumore;
# - che cosa fanno a questo modello tre modifiche dei GPT successivi (weight tying, GELU,
#   niente bias), misurate su tre seed.
#
# **Prerequisiti:** la [lezione 07: la LayerNorm](07_layernorm.ipynb) e quelle prima: gli
# ID dei token, gli embedding, le head di attenzione, i blocchi e la LayerNorm.

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=14877b40 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import json
import math
import re
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn

from course_lib import (CheckpointError, DATA_DIR, GPTConfig, GPTLanguageModel,
                        estimate_loss, generate_text, load_checkpoint, load_corpus,
                        parameter_breakdown, save_checkpoint, train)
from course_lib.core.checkpoint import read_checkpoint_info
from course_lib.lessons.checks import check_gpt_forward, check_gpt_parameter_count, check_linear_forward
from course_lib.lessons.plots import (plot_gpt_changes, plot_loss_curves, plot_n_embd_sweep,
                                     plot_parameter_breakdown)
from course_lib.lessons.sweep import (compare_losses, doubling_table, gpt_changes_table,
                                      load_gpt_changes, load_sweep, loss_range, seed_losses,
                                      sweep_result, sweep_table, train_sweep_size)
from course_lib.core.training import load_history
from course_lib.lessons.widgets import generation_explorer, n_embd_explorer

torch.manual_seed(1337)
corpus = load_corpus()
tokenizer = corpus.tokenizer
print(corpus)

# %% [markdown] id=cell-003 en=94ea4d96
# ## Il piano: cinque parti in fila
#
# `GPTLanguageModel` riceve un batch di ID di token `idx` di forma `(B, T)` (batch, tempo) e
# restituisce una riga di punteggi (i **logit**) per ogni posizione, un punteggio per ogni
# voce del vocabolario:
#
# | passo | modulo | forma dell'uscita |
# |---|---|---|
# | 1 | `token_embedding_table(idx)`: un vettore per token | `(B, T, C)` |
# | 2 | `+ position_embedding_table(torch.arange(T))`: un vettore per posizione | `(B, T, C)` |
# | 3 | `blocks`: `n_layer` blocchi, uno dopo l'altro | `(B, T, C)` |
# | 4 | `ln_f`: la LayerNorm finale | `(B, T, C)` |
# | 5 | `lm_head`: un layer Linear da `C` a `V` | `(B, T, V)` |
#
# Qui `C` è `n_embd` e `V` è `vocab_size`. Costruiamo un modello piccolo per seguire i dati.

# %% id=cell-004 en=774ff2f7
cfg = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=32, n_embd=64, n_head=4,
                n_layer=2, dropout=0.0)
model = GPTLanguageModel(cfg)
print(cfg)
for name, part in model.named_children():
    n = sum(p.numel() for p in part.parameters())
    print(f"{name:<25} {type(part).__name__:<12} {n:>8,} parametri")
print(f"{'totale':<38} {model.num_parameters():>8,} parametri")

# %% [markdown] id=cell-005 en=8a85a4de
# Le cinque parti sono gli unici figli del modello. `blocks` è un `nn.Sequential` di
# `n_layer` `Block` (lezione 06), e ogni blocco ha la sua attention, la sua rete
# feed-forward e due LayerNorm:

# %% [markdown] id=cell-007 en=8baf3032
# ## Un passaggio in avanti, cella per cella
#
# Prendiamo due righe di 8 caratteri ciascuna, quindi `B = 2` e `T = 8`. Il modello accetta
# qualsiasi `T` fino a `block_size`, qui 32.

# %% id=cell-008 en=49d587af
model.eval()   # niente dropout: lo stesso ingresso dà sempre la stessa uscita
idx = torch.tensor([tokenizer.encode("To be, o"), tokenizer.encode("r not to")])
B, T = idx.shape
print("idx:", tuple(idx.shape))
print(idx)

# %% [markdown] id=cell-009 en=ee520815
# **Passo 1.** Ogni ID di token sceglie la sua riga della tabella degli embedding dei
# token: un vettore di `n_embd` numeri per ogni token.

# %% [markdown] id=cell-011 en=b848b205
# **Passo 2.** Un carattere riceve lo stesso vettore del token dovunque si trovi: le due
# `o` di `"To be, o"` (posizioni 1 e 7) per ora sono identiche. Per questo anche ogni
# posizione `0 .. T-1` riceve un vettore appreso, che si somma al vettore del token. I
# vettori delle posizioni hanno forma `(T, C)`; PyTorch li ripete su tutto il batch
# (broadcasting).

# %% id=cell-012 en=7c073e44
pos_emb = model.position_embedding_table(torch.arange(T))
x = tok_emb + pos_emb
print("pos_emb:", tuple(pos_emb.shape), "  x = tok_emb + pos_emb:", tuple(x.shape))
print("le due o: stesso vettore del token:", torch.equal(tok_emb[0, 1], tok_emb[0, 7]),
      "  stesso x:", torch.equal(x[0, 1], x[0, 7]))
assert torch.equal(x[1], tok_emb[1] + pos_emb)   # la riga 1 ha ricevuto gli stessi vettori di posizione

# %% [markdown] id=cell-013 en=aedb102c
# **Passo 3.** I blocchi fanno scambiare informazione alle posizioni (l'attention) e poi la
# elaborano (la feed-forward). Ogni blocco conserva la forma `(B, T, C)`, quindi i blocchi
# si possono impilare.

# %% id=cell-014 en=6d01bf16
for i, block in enumerate(model.blocks):
    x = block(x)
    print(f"dopo il blocco {i}:", tuple(x.shape))

# %% [markdown] id=cell-015 en=8d12d1fe
# **Passo 4.** `ln_f` normalizza il vettore di ogni posizione sui `C` canali: media 0 e
# deviazione standard 1, anzi un po' meno per via dell'epsilon (lezione 07). Poi vengono la
# scala e lo spostamento appresi, che partono da 1 e da 0.

# %% id=cell-016 en=784d1610
x = model.ln_f(x)
print("dopo ln_f:", tuple(x.shape))
print(f"media su C: {x.mean(-1).abs().max().item():.4f} (la |media| più grande),  "
      f"dev. std su C: {x.std(-1, unbiased=False).mean().item():.4f}")

# %% [markdown] id=cell-017 en=7bd9f647
# **Passo 5.** `lm_head` trasforma ogni vettore di `C` numeri in `V` logit, uno per ogni
# carattere del vocabolario. Questa è l'uscita del modello.

# %% id=cell-018 en=581da918
logits = model.lm_head(x)
print("logits:", tuple(logits.shape))
model_logits, _ = model(idx)
torch.testing.assert_close(logits, model_logits)   # uguali a meno degli arrotondamenti float32
print("i nostri cinque passi danno i logit di model(idx):", torch.allclose(logits, model_logits, atol=1e-5))

# %% [markdown] id=cell-019 en=d9c0aa0b
# Se gli passi anche i target, il modello restituisce anche la loss di cross-entropy.
# All'inizializzazione ogni carattere è più o meno ugualmente probabile, quindi la loss è
# vicina a $\ln V$ (lezione 02):

# %% id=cell-020 en=0c43f579
targets = torch.tensor([tokenizer.encode("o be, or"), tokenizer.encode(" not to ")])
_, loss = model(idx, targets)
print(f"loss all'inizio {loss.item():.4f}   ln(vocab_size) = {math.log(cfg.vocab_size):.4f}")

# %% [markdown] id=cell-021 en=85e57e1f
# La tabella delle posizioni ha `block_size` righe, quindi per un ingresso più lungo manca
# il vettore di posizione. Il modello te lo dice, invece di fallire in profondità dentro
# PyTorch (`generate` taglia il contesto agli ultimi `block_size` token al posto tuo):

# %% [markdown] id=cell-023 en=083a5a63
# ### Esercizio 1: monta il passaggio in avanti
#
# Scrivi `my_gpt_forward(model, idx)`, che restituisce i logit `(B, T, vocab_size)` di un
# qualsiasi `GPTLanguageModel` chiamando in ordine le sue cinque parti. Deve funzionare per
# ogni `T` fino a `block_size`. Chiamare direttamente `model(idx)` vorrebbe dire saltare
# l'esercizio, quindi la verifica lo rifiuta (confronta da sé i tuoi logit con
# `model(idx)`).

# %% id=cell-024 en=7dd53285
def my_gpt_forward(model, idx):
    # TODO: embedding dei token + embedding delle posizioni -> blocks -> ln_f -> lm_head
    raise NotImplementedError


check_gpt_forward(my_gpt_forward)

# %% [markdown] id=cell-026 en=a2ae9eda
# ## Che cosa contiene e che cosa calcola `nn.Linear`
#
# `lm_head` è un `nn.Linear(n_embd, vocab_size)`. Il primo argomento è `in_features` (la
# lunghezza di ogni vettore in ingresso), il secondo `out_features`. Alcuni appunti delle
# lezioni dicono che il suo peso ha forma `(n_embd, vocab_size)` e che calcola $xW + b$.
# Guarda le forme vere:

# %% id=cell-027 en=7ab06938
print("lm_head:", model.lm_head)
print("weight:", tuple(model.lm_head.weight.shape), "  bias:", tuple(model.lm_head.bias.shape))
assert model.lm_head.weight.shape == (cfg.vocab_size, cfg.n_embd)   # (out_features, in_features)

# %% [markdown] id=cell-028 en=db6e94e5
# Il peso è memorizzato come `(out_features, in_features)`: **una riga per ogni uscita**.
# La riga `j` contiene gli `n_embd` numeri che si moltiplicano per l'ingresso per ottenere
# l'uscita `j`:
#
# $$y_j = \sum_i x_i W_{j,i} + b_j \qquad\text{cioè}\qquad y = x W^\top + b.$$
#
# Per `lm_head`, la riga `j` è un vettore del carattere `j`, e il logit del carattere `j` è
# il prodotto scalare dell'ultimo vettore nascosto con quella riga, più un bias:

# %% id=cell-029 en=d0939e42
W, b = model.lm_head.weight, model.lm_head.bias
torch.testing.assert_close(model.lm_head(x), x @ W.T + b)
j = tokenizer.encode("e")[0]
by_hand = x[0, -1] @ W[j] + b[j]
print(f"logit di 'e' dopo {tokenizer.decode(idx[0].tolist())!r}: {logits[0, -1, j].item():.4f}"
      f"   x · W[{j}] + b[{j}] = {by_hand.item():.4f}")

# %% [markdown] id=cell-030 en=8e17cca4
# Senza la trasposta le forme non combaciano: `x` ha `n_embd` colonne, ma `W` ha
# `vocab_size` righe.

# %% [markdown] id=cell-032 en=23d0cebb
# ### L'esempio svolto, rifatto
#
# Gli appunti danno anche un esempio per `nn.Linear(3, 2)`: una matrice $W$ di $3 \times 2$
# con righe `[0.1, 0.2]`, `[0.3, 0.4]`, `[0.5, 0.6]`, un bias `[0.1, -0.1]`, l'ingresso
# `x = [1, 2, 3]` e il risultato `[2.2, 2.8]`. Un vero `nn.Linear(3, 2)` contiene un peso di
# $2 \times 3$, quindi per fargli calcolare "$xW$" dobbiamo dargli la **trasposta** di
# quella matrice.

# %% id=cell-033 en=669f1a84
W_notes = torch.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])   # 3 x 2, come negli appunti
b_notes = torch.tensor([0.1, -0.1])
x_notes = torch.tensor([1.0, 2.0, 3.0])

linear = nn.Linear(3, 2)
print("nn.Linear(3, 2).weight ha forma", tuple(linear.weight.shape))
with torch.no_grad():
    linear.weight.copy_(W_notes.T)   # (2, 3): una riga per ogni uscita
    linear.bias.copy_(b_notes)
print("x W     =", [round(v, 4) for v in (x_notes @ W_notes).tolist()])
print("x W + b =", [round(v, 4) for v in (x_notes @ W_notes + b_notes).tolist()])
print("linear(x) =", [round(v, 4) for v in linear(x_notes).tolist()])

# %% [markdown] id=cell-034 en=9e9a46d4
# Quindi `[2.2, 2.8]` è $xW$ **senza** il bias. Aggiungendo $b = [0{,}1; -0{,}1]$ si ottiene
# `[2.3, 2.7]`, ed è questo che restituisce `nn.Linear`. Gli appunti scrivono
# `+ [0.1, -0.1]` nella somma ma poi lo dimenticano nel risultato.

# %% [markdown] id=cell-035 en=f552226c
# ### Esercizio 2: un layer Linear a mano
#
# Scrivi `my_linear_forward(x, weight, bias)`, che calcola quello che calcola `nn.Linear`,
# per un peso di forma `(out_features, in_features)` e un ingresso `x` di forma
# `(..., in_features)` (a 2 o 3 dimensioni). Usa `@` e la trasposta: `F.linear` e
# `nn.Linear` calcolano esattamente questo, quindi la verifica li rifiuta.

# %% id=cell-036 en=9c04a4f2
def my_linear_forward(x, weight, bias):
    # TODO: restituisci l'uscita di nn.Linear con questi weight e bias
    raise NotImplementedError


check_linear_forward(my_linear_forward)

# %% [markdown] id=cell-038 en=5227582f
# ## Dove stanno i parametri
#
# Passiamo al modello del corso: il checkpoint addestrato che si trova in
# `data/checkpoints/gpt`. `read_checkpoint_info` legge il suo `config.json` senza caricare
# i pesi.

# %% id=cell-039 en=16bd441e
ckpt_path = DATA_DIR / "checkpoints" / "gpt"
info = read_checkpoint_info(ckpt_path)
ckpt_cfg = GPTConfig.from_dict(info["config"])
print(ckpt_cfg)
gpt, gpt_tokenizer = load_checkpoint(ckpt_path)
breakdown = parameter_breakdown(gpt)
fig = plot_parameter_breakdown(breakdown, title="I parametri del GPT del corso")

# %% [markdown] id=cell-040 en=0f58ef27
# Chiama $V$ il `vocab_size`, $T$ il `block_size`, $C$ l'`n_embd` e $L$ l'`n_layer`. Ogni
# parte si ricava dalle forme dei suoi layer:
#
# - embedding dei token: una tabella $V \times C$; embedding delle posizioni: una tabella
#   $T \times C$;
# - attention, per blocco: query, key e value portano ciascuna `C` canali in `C` canali,
#   senza bias (ognuna delle `n_head` head produce `C // n_head` di quelle uscite), quindi
#   $3C^2$ qualunque sia `n_head`; la proiezione d'uscita `proj` è un `Linear(C, C)` con
#   bias: $C^2 + C$. In tutto $4C^2 + C$;
# - feed-forward, per blocco: `Linear(C, 4C)` e `Linear(4C, C)`: $(4C^2 + 4C) + (4C^2 + C)
#   = 8C^2 + 5C$;
# - LayerNorm: un peso e un bias di $C$ numeri ciascuno, quindi $2C$; ce ne sono due per
#   blocco, più `ln_f`;
# - `lm_head`: `Linear(C, V)`: $CV + V$.
#
# La cella confronta ogni formula con i conteggi veri.

# %% id=cell-041 en=03b13a3d
V, T_max, C, L = ckpt_cfg.vocab_size, ckpt_cfg.block_size, ckpt_cfg.n_embd, ckpt_cfg.n_layer
formulas = {
    "token embedding": V * C,
    "position embedding": T_max * C,
    "attention": L * (4 * C * C + C),
    "feed-forward": L * (8 * C * C + 5 * C),
    "layer norms": (2 * L + 1) * 2 * C,
    "lm_head": C * V + V,
}
for part, count in breakdown.items():
    print(f"{part:<20} formula {formulas[part]:>10,}   modello {count:>10,}")
assert formulas == breakdown
total = gpt.num_parameters()
print(f"{'totale':<20} {sum(formulas.values()):>18,}   {total:>16,}")
in_blocks = L * (12 * C * C + 10 * C)   # attention + feed-forward + 2 LayerNorm, per blocco
print(f"quota dei {L} blocchi: {100 * in_blocks / total:.1f}%")

# %% [markdown] id=cell-042 en=9b0684c2
# I blocchi contengono quasi tutto: i loro parametri crescono con $C^2$, quelli degli
# embedding e di `lm_head` solo con $C$ (a vocabolario e `block_size` fissati). Ogni
# parametro è un float a 32 bit (4 byte), e questo spiega la dimensione del file dei pesi:

# %% id=cell-043 en=12222f73
size = (ckpt_path / "model.safetensors").stat().st_size
print(f"4 byte x {gpt.num_parameters():,} parametri = {4 * gpt.num_parameters() / 1e6:.2f} MB;"
      f" model.safetensors occupa {size / 1e6:.2f} MB")

# %% [markdown] id=cell-044 en=17b812d6
# ### Esercizio 3: conta i parametri dalla configurazione
#
# Scrivi `my_count_parameters(cfg)`, che restituisce il numero di parametri di
# `GPTLanguageModel(cfg)` usando solo i campi di `cfg`, senza costruire il modello.

# %% id=cell-045 en=3be72404
def my_count_parameters(cfg):
    # TODO: somma le parti, usando cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer
    raise NotImplementedError


check_gpt_parameter_count(my_count_parameters)

# %% [markdown] id=cell-047 en=5cab8f16
# ## Addestrare con una barra di avanzamento
#
# `course_lib.train` esegue il ciclo della lezione 02 su batch casuali: forward, loss,
# backward, passo di AdamW. Di default fa anche salire gradualmente il learning rate
# (warmup), poi lo fa scendere, e taglia il gradiente (clipping): la ricetta del
# checkpoint, più avanti, mostra che cosa fa ognuna di queste cose. Ogni `eval_interval`
# passi stima la loss di addestramento e di validazione su alcuni batch. Mostra una barra di
# avanzamento; per fermarlo prima, interrompi il kernel (■): l'addestramento finisce dopo il
# passo in corso e i pesi restano quelli raggiunti.
#
# Un addestramento breve del modello piccolo (pochi secondi):

# %% id=cell-048 en=2eb09f0a
# NBVAL_IGNORE_OUTPUT
torch.manual_seed(1337)
model = GPTLanguageModel(cfg)
history = train(model, corpus.train_data, corpus.val_data, max_iters=300, batch_size=32,
                lr=2e-3, eval_interval=50, eval_iters=10, seed=1337)
print(f"{history.steps[-1]} passi in {history.seconds:.1f} s "
      f"({history.tokens_per_second:,.0f} token/s)")

# %% [markdown] id=cell-049 en=255564aa
# La barra e il tempo qui sopra cambiano da un'esecuzione all'altra. Le loss no (i seed
# sono fissati), ma le loro ultime cifre dipendono dal computer: un'altra CPU (o un altro
# numero di thread) somma gli stessi numeri in un altro ordine, arrotonda in modo un po'
# diverso, e in 300 passi queste differenze arrivano a qualche millesimo (fino a 0,003 tra
# i kernel AVX-512 e AVX2; `tests/test_portability.py` esegue questa lezione con queste
# impostazioni). Per questo le stampiamo con un solo decimale, e verifichiamo la forma della
# curva invece delle sue ultime cifre:

# %% id=cell-050 en=82789857
for step, tr, va in zip(history.eval_steps, history.eval_train, history.eval_val):
    print(f"passo {step:>4}: loss train {tr:.1f}   loss val {va:.1f}")
first_drop = history.eval_val[0] - history.eval_val[1]       # passi 0 -> 50
last_drop = history.eval_val[-2] - history.eval_val[-1]      # passi 250 -> 300
print("parte a meno di 0.05 da ln V:", abs(history.eval_val[0] - math.log(cfg.vocab_size)) < 0.05)
print("i primi 50 passi abbassano la loss val più di 10 volte tanto gli ultimi 50:",
      first_drop > 10 * last_drop > 0)
assert abs(history.eval_val[0] - math.log(cfg.vocab_size)) < 0.05 and first_drop > 10 * last_drop > 0
fig = plot_loss_curves(history, title=f"Un addestramento breve: {model.num_parameters():,} parametri",
                       baseline=math.log(cfg.vocab_size))

# %% [markdown] id=cell-051 en=f310175c
# All'inizio la loss scende in fretta partendo da $\ln V$, poi più lentamente. 300 passi
# sono solo un inizio: il checkpoint del corso è stato addestrato molto più a lungo, da uno
# script. La sua storia della loss è salvata accanto a lui, e il suo `config.json` registra
# com'è andato l'addestramento:

# %% id=cell-052 en=05fcb2b0
extra = info["extra"]
print(f"passi {extra['steps']:,}, {extra['seconds'] / 60:.1f} minuti su {extra['device']} "
      f"({extra['tokens_per_second']:,} token/s)")
print(f"loss train finale {extra['train_loss']:.4f}, loss val {extra['val_loss']:.4f}")
long_history = load_history(DATA_DIR / "checkpoints" / "gpt_history.json")
fig = plot_loss_curves(long_history, title=f"Il GPT del corso: {gpt.num_parameters():,} parametri",
                       baseline=math.log(V))

# %% [markdown] id=cell-053 en=f98baf3b
# Negli ultimi passi la loss di addestramento continua a scendere mentre quella di
# validazione quasi non si muove, e la loss di validazione resta sopra quella di
# addestramento: il modello si adatta meglio alle opere su cui si addestra che al testo che
# non ha mai visto.

# %% id=cell-054 en=4f9edc12
i = long_history.eval_steps.index(2500)
print(f"passi 2500 -> 3000: train {long_history.eval_train[-1] - long_history.eval_train[i]:+.4f}, "
      f"val {long_history.eval_val[-1] - long_history.eval_val[i]:+.4f}")
print(f"val - train alla fine: {long_history.eval_val[-1] - long_history.eval_train[-1]:.4f}")

# %% [markdown] id=cell-055 en=d60d66ff
# Per addestrarlo di nuovo, esegui dalla radice del repository (il tempo stampato sopra è
# quello che è servito sulla macchina che l'ha addestrato):
#
# ```bash
# python scripts/train_checkpoint.py
# ```
#
# ### La ricetta del checkpoint
#
# Lo script del checkpoint ha passato le sue impostazioni al comando di addestramento.
# Leggi i suoi flag, e confronta con essi il learning rate di ogni passo registrato nella
# storia: un warmup lineare, poi una discesa a coseno fino a `--min-lr`.

# %% id=cell-056 en=46a4336f
script = (DATA_DIR.parent / "scripts" / "train_checkpoint.py").read_text()
flags = dict(re.findall(r'"(--[a-z-]+)", "([^"]+)"', script))
print({k: flags[k] for k in ("--lr", "--min-lr", "--warmup-iters", "--weight-decay",
                             "--grad-clip", "--dropout", "--batch-size")})
lr, min_lr, warmup = float(flags["--lr"]), float(flags["--min-lr"]), int(flags["--warmup-iters"])
lrs, n = long_history.lr, len(long_history.lr)
want = [lr * (i + 1) / warmup if i < warmup else min_lr + 0.5 * (lr - min_lr)
        * (1 + math.cos(math.pi * (i - warmup) / (n - warmup))) for i in range(n)]
assert max(abs(a - b) for a, b in zip(lrs, want)) < 1e-9
print(f"passo 1: {lrs[0]:.2e}, passo {warmup}: {lrs[warmup - 1]:.2e} (la fine del warmup), "
      f"passo {n // 2}: {lrs[n // 2 - 1]:.2e}, passo {n}: {lrs[-1]:.2e}")
print("il learning rate di ogni passo segue il warmup e il coseno qui sopra")

# %% [markdown] id=cell-057 en=763c9f1a
# Quindi il checkpoint è stato addestrato con un warmup di 100 passi, una discesa a coseno
# del learning rate da 1,5e-3 a 1,5e-4, dropout 0,1, e due impostazioni che la storia non
# registra ma i flag sì: il weight decay di AdamW pari a 0,1 e il clipping del gradiente a
# norma 1,0. Il weight decay rimpicciolisce un poco ogni parametro a ogni passo (`train` lo
# applica a tutti, anche ai bias e ai pesi delle LayerNorm); il clipping riscala
# l'intero gradiente fino a norma 1,0 ogni volta che la sua norma è più grande.
#
# ## Generare testo
#
# `generate_text` codifica un prompt, poi ripete: esegue il modello, prende i logit
# dell'ultima posizione, li divide per la **temperatura**, tiene solo i **top-k** più
# grandi (se `top_k` è dato), applica la softmax, estrae un carattere (lezione 03). Il seed
# fissa le estrazioni, quindi le stesse impostazioni danno sempre lo stesso testo.

# %% [markdown] id=cell-059 en=54c4bbe8
# Quanto tempo ci è voluto? Senza aiuti, ogni nuovo carattere richiederebbe di eseguire di
# nuovo tutto il modello su un contesto fino a `block_size` caratteri. Il `generate` della
# libreria tiene una **cache**: ogni blocco conserva le key e i value delle posizioni che ha
# già visto, così un nuovo carattere costa una sola posizione. Questo funziona finché il
# testo sta in `block_size` caratteri. Dopo, la finestra scorre, ogni carattere si sposta in
# un'altra posizione (con un altro embedding di posizione), e ogni passo lavora di nuovo
# sull'intera finestra. La cache cambia il tempo, non il testo:

# %% id=cell-060 en=c1246eb2
prompt = torch.tensor([gpt_tokenizer.encode("\n")])
outputs, seconds = {}, {}
for use_cache in (True, False):
    start = time.perf_counter()
    outputs[use_cache] = gpt.generate(prompt, 100, generator=torch.Generator().manual_seed(1),
                                      use_cache=use_cache)
    seconds[use_cache] = time.perf_counter() - start
print("gli stessi 100 caratteri con e senza la cache:",
      torch.equal(outputs[True], outputs[False]))

# %% id=cell-061 en=df2299f5
# NBVAL_IGNORE_OUTPUT
print(f"200 caratteri: {took:.2f} s")
print(f"100 caratteri: {seconds[True]:.2f} s con la cache, {seconds[False]:.2f} s senza")

# %% [markdown] id=cell-062 en=6f2ef7e0
# Se ridisegnare il risultato richiede più di qualche decimo di secondo, uno slider sembra
# lento.
# Per questo il widget qui sotto parte con 80 caratteri, che stanno in `block_size`, e
# stampa il suo tempo; lo slider `characters` scambia lunghezza con velocità.
#
# Lo stesso seed dà lo stesso testo; un altro seed dà un altro testo. Con `top_k=1` si può
# estrarre solo il carattere più probabile, quindi il seed non conta più: questa è la
# decodifica greedy (si sceglie sempre il massimo).

# %% id=cell-063 en=94818d62
def text(seed, top_k=None):
    return generate_text(gpt, gpt_tokenizer, "\n", 60, top_k=top_k, seed=seed)


first = text(seed=7)
print("stesso seed, stesso testo:", first == text(seed=7))
print("altro seed, altro testo:  ", first != text(seed=8))
print("il testo greedy (top_k=1) è lo stesso per ogni seed:", text(1, top_k=1) == text(2, top_k=1))

# %% [markdown] id=cell-064 en=f2df2f27
# Il testo greedy finisce presto in un ciclo: quando una riga è la continuazione più
# probabile di sé stessa, torna ancora e ancora.

# %% id=cell-065 en=82b67871
greedy = generate_text(gpt, gpt_tokenizer, "\n", 300, top_k=1)
print(greedy)
lines = [line for line in greedy.split("\n") if line]
most = max(set(lines), key=lines.count)
print(f"--> la riga {most!r} compare {lines.count(most)} volte")

# %% [markdown] id=cell-066 en=ee3ae718
# Con la temperatura ti muovi tra i due estremi. Una temperatura bassa rende ancora più
# probabili i caratteri probabili: un testo più prudente. Una alta appiattisce la
# distribuzione: un testo più sorprendente, con più parole inventate. Generiamo 6 testi di
# 100 caratteri per ogni temperatura (un batch di 6 righe) e contiamo quante delle loro
# parole compaiono da qualche parte nel corpus:

# %% id=cell-067 en=f07ef8d9
corpus_words = set(re.findall(r"[A-Za-z']+", corpus.text))
prompts = prompt.repeat(6, 1)                      # (6, 1): sei testi insieme
for temperature in (0.5, 1.0, 1.5):
    g = torch.Generator().manual_seed(3)
    rows = gpt.generate(prompts, 100, temperature=temperature, generator=g)
    texts = [gpt_tokenizer.decode(row) for row in rows]
    words = [w for t in texts for w in re.findall(r"[A-Za-z']+", t)]
    known = sum(w in corpus_words for w in words)
    print(f"temperatura {temperature}: {known}/{len(words)} = {100 * known / len(words):.0f}% "
          f"delle parole è nel corpus, per esempio {texts[0][1:45]!r}")

# %% [markdown] id=cell-068 en=0f2a7877
# Ora prova tu le impostazioni. Un `top_k` piccolo taglia via i caratteri poco probabili
# (0 vuol dire nessun taglio); confronta `top_k = 1` con il testo greedy qui sopra.

# %% [markdown] id=cell-070 en=d79dfec0
# ## Salvare e caricare un checkpoint
#
# `save_checkpoint` scrive una cartella con tre file: i pesi in formato **safetensors**, il
# tokenizer (`tokenizer.json`, con il vocabolario) e un `config.json` con la configurazione
# del modello e un checksum di ciascuno degli altri due file. Scrive prima in una cartella
# nuova e alla fine la rinomina, così un salvataggio interrotto lascia al suo posto il
# checkpoint precedente (`tests/test_checkpoint.py` interrompe un salvataggio per
# verificarlo). Salviamo in una cartella temporanea il modello piccolo addestrato prima.

# %% [markdown] id=cell-072 en=69b38246
# Un file safetensors contiene solo dati: 8 byte che danno la lunghezza di un header JSON,
# l'header (nome, tipo, forma e intervallo di byte di ogni tensore), poi i numeri grezzi.
# A differenza di un file pickle (quello che scrive `torch.save`), caricarlo non esegue
# nessun codice preso dal file.

# %% id=cell-073 en=49d6c47d
raw = (path / "model.safetensors").read_bytes()
n_header = int.from_bytes(raw[:8], "little")
header = json.loads(raw[8:8 + n_header])
tensors = [k for k in header if k != "__metadata__"]
print(f"header: {n_header} byte, {len(tensors)} tensori, poi {len(raw) - 8 - n_header:,} "
      f"byte di numeri = 4 x {model.num_parameters():,}")
print("lm_head.weight:", header["lm_head.weight"])
assert len(raw) - 8 - n_header == 4 * model.num_parameters()

# %% id=cell-074 en=c8dec307
loaded, loaded_tokenizer = load_checkpoint(path)
print(type(loaded).__name__, loaded.cfg)
model.eval()
same_logits = torch.equal(loaded(idx)[0], model(idx)[0])
print("stesso tokenizer:", loaded_tokenizer == tokenizer, "  logit identici:", same_logits)
assert same_logits

# %% [markdown] id=cell-075 en=9793c750
# Il caricamento controlla il checkpoint prima di fidarsi. Se chiedi un'altra
# configurazione ottieni un errore chiaro che nomina la differenza, e lo stesso succede con
# un file danneggiato:

# %% id=cell-076 en=60dc5b14
def show_error(err):   # la cartella temporanea ha un nome casuale: lo nascondiamo
    print(f"{type(err).__name__}: {str(err).replace(tmp.name, '<tmp>')}")


try:
    load_checkpoint(path, cfg=GPTConfig(vocab_size=cfg.vocab_size, block_size=32, n_embd=128,
                                        n_head=4, n_layer=2))
except CheckpointError as err:
    show_error(err)

# %% id=cell-077 en=8c57cb92
weights = path / "model.safetensors"
weights.write_bytes(weights.read_bytes()[:1000])   # tronca il file, come farebbe una copia fallita
try:
    load_checkpoint(path)
except CheckpointError as err:
    show_error(err)
tmp.cleanup()

# %% [markdown] id=cell-078 en=72f0ab7f
# ## L'esperimento su `n_embd`
#
# Quanto devono essere larghi i vettori? `scripts/sweep_n_embd.py` ha addestrato lo stesso
# GPT con diversi valori di `n_embd`, tenendo fisso tutto il resto (stessi layer, head, dati
# e numero di passi), e ha registrato il numero di parametri, le loss finali e il tempo. Una
# sola esecuzione per dimensione non basta a distinguere un guadagno vero dal rumore, quindi
# ha addestrato ogni dimensione partendo da tre seed (il seed fissa i pesi casuali iniziali
# e i batch su cui ogni esecuzione si addestra e viene misurata). Per rifarlo:
#
# ```bash
# python scripts/sweep_n_embd.py
# ```

# %% id=cell-079 en=39ec5ff8
sweep = load_sweep()
print("fisso:", sweep["fixed_config"])
print("addestramento:", sweep["training"])
print(sweep_table(sweep))
first_seed = sweep["seeds"][0]
print(f"le esecuzioni del seed {first_seed} hanno richiesto {sum(r['seconds'] for r in sweep['results']) / 60:.1f} "
      f"minuti in tutto su: {sweep['cpu']}")
for r in sweep["results"]:
    print(f"n_embd {r['n_embd']:>3}: secondi per seed", r["seconds_per_seed"], " thread per seed",
          [run.get("threads", "non registrato") for run in r["runs"]])

# %% [markdown] id=cell-081 en=b35e6e19
# Che cosa dicono i numeri, calcolati dal file. Prima, a parità di numero di passi:

# %% id=cell-082 en=c59ff8fa
rs = sweep["results"]
first, last = rs[0], rs[-1]
print(f"n_embd {first['n_embd']} -> {last['n_embd']}: parametri x{last['params'] / first['params']:.0f}, "
      f"tempo x{last['seconds'] / first['seconds']:.1f} (seed {first_seed})")
print("parametri a ogni raddoppio:", ", ".join(f"x{b['params'] / a['params']:.1f}"
                                                for a, b in zip(rs, rs[1:])))
print("tempo a ogni raddoppio:    ", ", ".join(f"x{b['seconds'] / a['seconds']:.1f}"
                                                for a, b in zip(rs, rs[1:])), f"(seed {first_seed})")
print(doubling_table(sweep))
steps = [compare_losses(seed_losses(a), seed_losses(b)) for a, b in zip(rs, rs[1:])]
changes = [c["change"] for c in steps]
print("ogni raddoppio ha abbassato la loss val media:", all(d < 0 for d in changes))
print("ogni raddoppio ha aiutato meno del precedente:",
      all(abs(b) < abs(a) for a, b in zip(changes, changes[1:])))
print("raddoppi con gli intervalli dei seed separati:", sum(c["apart"] for c in steps), "su", len(steps))
print("distanza val - train (medie):", ", ".join(
    f"{r['n_embd']}: {loss_range(seed_losses(r))[0] - loss_range(seed_losses(r, 'train'))[0]:+.3f}"
    for r in rs))

# %% [markdown] id=cell-083 en=c0a698e6
# Poi, a parità di **tempo** invece che di passi. Qui usiamo solo le esecuzioni del primo
# seed: gli altri seed sono stati eseguiti più tardi, su un solo thread di una macchina
# carica (lo si vede dai loro `threads` e dai loro tempi più lunghi, qui sopra). Le curve
# danno la loss val ogni 100 passi; per ogni esecuzione prendiamo l'ultima raggiunta entro
# il tempo dell'esecuzione più breve (supponendo che tutti i suoi passi abbiano richiesto lo
# stesso tempo):

# %% id=cell-084 en=58844057
budget = min(r["seconds"] for r in rs)
within = {}
for r in rs:
    per_step = r["seconds"] / r["eval_steps"][-1]
    within[r["n_embd"]] = [v for s, v in zip(r["eval_steps"], r["eval_val"])
                           if s * per_step <= budget][-1]
    print(f"n_embd {r['n_embd']:>3}: loss val {within[r['n_embd']]:.4f} dopo {budget:.0f} s")
print("la migliore entro quel tempo: n_embd =", min(within, key=within.get))

# %% [markdown] id=cell-085 en=11b892cf
# Una lettura onesta, con tre seed per dimensione:
#
# - A parità di passi, ogni raddoppio ha abbassato la loss val media, e ciascuno l'ha
#   abbassata meno del precedente, mentre i parametri crescevano tra 3,5 e 4 volte a ogni
#   raddoppio (le righe qui sopra).
# - I primi tre raddoppi hanno spostato la media di più di tre volte la dispersione tra i
#   seed (lo verifichiamo qui sotto): quei guadagni sono molto più grandi del rumore.
# - L'ultimo raddoppio, da 128 a 256, ha spostato la media di meno della dispersione tra i
#   seed. La tabella dice se i due intervalli restano comunque separati e in quanti seed il
#   modello più largo è finito più in basso; in ogni caso il guadagno è piccolo per il
#   quadruplo dei parametri. Con un solo seed per dimensione, questo guadagno non si
#   potrebbe proprio distinguere dal rumore.
# - Il tempo è cresciuto molto meno dei parametri (la prima riga qui sopra), e
#   `n_embd = 32` è stato perfino più veloce di 16: il numero di parametri non è tutto il
#   costo di un passo.
# - La distanza tra la loss val e la loss train cresce con la larghezza: i modelli più
#   larghi cominciano a memorizzare le opere di addestramento. Per loro questo corpus è
#   piccolo.
# - A parità di tempo invece che di passi, il modello più largo non è il migliore: ha fatto
#   troppo pochi passi. Quale dimensione sia "la migliore" dipende da che cosa tieni fisso.
# - I tempi sono quelli delle esecuzioni del seed 1337, su una sola macchina: differenze di
#   pochi secondi possono dipendere dal fatto che la macchina era occupata con altro.

# %% id=cell-086 en=dbc14ec2
print("primi tre raddoppi: variazione / dispersione tra i seed =",
      ", ".join(f"{abs(c['change']) / c['spread']:.1f}" for c in steps[:3]))
print(f"ultimo raddoppio: variazione {steps[-1]['change']:+.4f}, dispersione tra i seed {steps[-1]['spread']:.4f}")
assert all(abs(c["change"]) > 3 * c["spread"] for c in steps[:3])
assert abs(steps[-1]["change"]) < steps[-1]["spread"]
assert all(d < 0 for d in changes) and all(abs(b) < abs(a) for a, b in zip(changes, changes[1:]))
gaps = [loss_range(seed_losses(r))[0] - loss_range(seed_losses(r, "train"))[0] for r in rs]
assert all(b > a for a, b in zip(gaps, gaps[1:]))          # la distanza val - train cresce
assert first_seed == 1337

# %% [markdown] id=cell-087 en=461e57e7
# Sposta lo slider per vedere i numeri di ogni dimensione e la sua curva di validazione in
# funzione del tempo di addestramento (le altre dimensioni sono sbiadite). Il widget mostra
# l'esecuzione del seed 1337 di ogni dimensione, non la media. Il pulsante addestra di nuovo
# la dimensione scelta, da quel seed, per qualche secondo, con una barra di avanzamento, e
# la confronta con lo sweep.

# %% [markdown] id=cell-089 en=6a124ed3
# Il pulsante esegue `train_sweep_size`. Eccola qui con un numero fisso di passi, così il
# risultato è lo stesso a ogni esecuzione: 100 passi dell'esecuzione con `n_embd = 32`.

# %% id=cell-091 en=109609e8
r32 = sweep_result(sweep, 32)
step = small_history.eval_steps[-1]
again, before = small_history.eval_val[-1], r32["eval_val"][r32["eval_steps"].index(step)]
print(f"di nuovo:   loss val al passo {step}: {again:.2f}")
print(f"lo sweep:   loss val al passo {step}: {before:.2f}")
print("differiscono di meno di 0.005:", abs(again - before) < 0.005)
assert abs(again - before) < 0.005

# %% [markdown] id=cell-092 en=645c8cae
# Uguali alla seconda cifra decimale, ma non alle ultime cifre: lo sweep è stato eseguito in
# un altro processo, forse su un'altra CPU, e somme in virgola mobile fatte in un ordine
# diverso (altre suddivisioni tra i thread, altri kernel) arrotondano in modo diverso negli
# ultimi bit; dopo 100 passi le due differivano al massimo di 0,0007 nelle due impostazioni
# che abbiamo misurato (kernel AVX-512 e AVX2). Nello stesso processo, la stessa cella dà
# sempre lo stesso numero.
#
# ## Quanto rumore c'è in una loss val?
#
# Ogni loss val dello sweep è una stima: la loss media su `eval_iters = 20` batch casuali
# del testo di validazione (i modelli addestrati dallo stesso seed hanno avuto gli stessi 20
# batch). Altri batch darebbero un altro numero. Misura di quanto sul modello appena
# addestrato: stima la sua loss val su altri quattro gruppi di 20 batch.

# %% id=cell-093 en=162cce45
settings = sweep["training"]
estimates = [estimate_loss(small_model, corpus.train_data, corpus.val_data,
                           eval_iters=settings["eval_iters"], batch_size=settings["batch_size"],
                           block_size=sweep["fixed_config"]["block_size"], seed=s)["val"]
             for s in range(1, 5)]
spread = max(estimates) - min(estimates)
# la dispersione, non i quattro valori: la loro terza cifra decimale dipende dalla CPU
print(f"un modello, quattro gruppi di batch: dispersione (massimo - minimo) {spread:.2f}")
print(f"l'ultimo raddoppio dello sweep ha cambiato la loss val media di {changes[-1]:+.4f}: "
      f"meno della dispersione: {abs(changes[-1]) < spread}")

# %% [markdown] id=cell-094 en=13f6160f
# Quindi, anche a modello fisso, altri batch spostano la stima più o meno di tanto (l'ultima
# riga la confronta con la variazione della media all'ultimo raddoppio). La dispersione tra
# i seed nella tabella dello sweep contiene anche questo rumore, perché ogni seed estrae
# pure i suoi batch di valutazione, e ci aggiunge il rumore dell'addestramento partito da
# altri pesi casuali su altri batch. Per questo la lezione considera dimostrata una
# differenza tra due modelli solo quando gli intervalli dei seed non si sovrappongono.

# %% [markdown] id=cell-095 en=266602a0
# ## Che cosa hanno cambiato i GPT successivi, misurato
#
# Il nostro GPT conserva tre scelte del codice della lezione: la ReLU nella feed-forward,
# un bias in ogni `Linear` e in ogni `LayerNorm`, e due matrici separate per
# `token_embedding_table` e `lm_head`. GPT-2 ne fa due in modo diverso: usa la GELU, una
# curva liscia al posto dello spigolo della ReLU in 0, e usa una sola matrice condivisa tra
# la tabella dei token e `lm_head` (il **weight tying**, pesi legati). Molti modelli più
# recenti tolgono anche i bias. `GPTConfig` ha un campo per ogni modifica: `activation`,
# `tie_weights` e `bias`.
#
# Aiutano *qui*? `scripts/measure_gpt_changes.py` ha addestrato il modello dello sweep con
# `n_embd = 64` applicando una modifica alla volta, dai tre seed dello sweep e con le sue
# impostazioni. Il riferimento (baseline) non viene addestrato di nuovo: sono le esecuzioni
# con `n_embd = 64` dello sweep stesso. Per rifarlo (stampa ogni esecuzione appena finisce):
#
# ```bash
# python scripts/measure_gpt_changes.py
# ```

# %% id=cell-096 en=39f02898
gpt_changes = load_gpt_changes()
print("per rifarlo:", gpt_changes["command"], f"  ({gpt_changes['training']['max_iters']:,} "
      f"passi per esecuzione, seed {gpt_changes['seeds']}, {gpt_changes['threads']} thread, "
      f"su: {gpt_changes['cpu']})")
print("baseline:", gpt_changes["baseline_from"])
print("stesso modello e stesso addestramento dello sweep:",
      gpt_changes["fixed_config"] == sweep["fixed_config"]
      and gpt_changes["training"] == {k: v for k, v in sweep["training"].items() if k != "seed"})
print(gpt_changes_table(gpt_changes))

# %% [markdown] id=cell-097 en=153f66eb
# Il weight tying toglie una matrice. `lm_head.weight` ha forma `(vocab_size, n_embd)`,
# la stessa della tabella dei token, quindi il modello con i pesi legati dovrebbe avere
# `vocab_size × n_embd` parametri in meno. Contali su due modelli nuovi:

# %% id=cell-098 en=028f1f7c
cfg64 = GPTConfig.from_dict({**sweep["fixed_config"], "n_embd": 64})
untied = GPTLanguageModel(cfg64)
tied = GPTLanguageModel(GPTConfig.from_dict({**cfg64.to_dict(), "tie_weights": True}))
no_bias = GPTLanguageModel(GPTConfig.from_dict({**cfg64.to_dict(), "bias": False}))
saving = untied.num_parameters() - tied.num_parameters()
print("una sola matrice nel modello con i pesi legati:", tied.lm_head.weight is tied.token_embedding_table.weight)
print(f"risparmio: {untied.num_parameters():,} - {tied.num_parameters():,} = {saving:,}")
print(f"vocab_size x n_embd = {cfg64.vocab_size} x {cfg64.n_embd} = "
      f"{cfg64.vocab_size * cfg64.n_embd:,}; uguali: {saving == cfg64.vocab_size * cfg64.n_embd}")
print(f"qui il tying risparmia il {100 * saving / untied.num_parameters():.1f}%; i bias sono "
      f"{untied.num_parameters() - no_bias.num_parameters():,} parametri "
      f"({100 * (untied.num_parameters() - no_bias.num_parameters()) / untied.num_parameters():.1f}%)")
gpt2_tok = 50_257 * 768
print(f"in GPT-2 small la stessa matrice è 50,257 x 768 = {gpt2_tok:,} parametri")

# %% id=cell-100 en=3a85a071
base = gpt_changes["results"][0]
for r in gpt_changes["results"][1:]:
    c = compare_losses(base["val_losses"], r["val_losses"])
    verdict = ("ogni seed più in basso di ogni seed della baseline" if c["apart"] and c["change"] < 0
               else "ogni seed più in alto di ogni seed della baseline" if c["apart"]
               else "gli intervalli si sovrappongono: nessuna differenza dimostrata")
    print(f"{r['variant']:>7}: media {c['change']:+.4f} (dispersione tra i seed {c['spread']:.4f}): {verdict}")

# %% [markdown] id=cell-101 en=19907b03
# Secondo la regola di prima (una differenza conta solo se gli intervalli dei seed non si
# sovrappongono):
#
# - Il **weight tying** ha risparmiato `vocab_size × n_embd` parametri, il 2,0% di questo
#   modello, e non ha mostrato differenze nella loss val: il suo intervallo si sovrappone a
#   quello della baseline. In GPT-2 small la stessa matrice ha 38.597.376 parametri (la riga
#   qui sopra), quindi lì il tying fa risparmiare molto di più.
# - La **GELU** qui è andata peggio: ogni seed è finito sopra ogni seed della baseline. La
#   cella qui sotto mostra quando si è aperta la distanza.
# - **Senza bias** il modello ha perso l'1% dei parametri. La sua media è un po' più bassa,
#   ed è finito più in basso dell'esecuzione della baseline con lo stesso seed per ogni
#   seed, ma gli intervalli si sovrappongono, quindi tre seed non dimostrano una differenza.
#
# Le verifiche qui sotto dimostrano ciascuna di queste affermazioni a partire dal file.

# %% id=cell-102 en=123fbed5
by_name = {r["variant"]: r for r in gpt_changes["results"]}
verdicts = {n: compare_losses(base["val_losses"], by_name[n]["val_losses"])
            for n in ("tied", "gelu", "nobias")}
assert round(100 * saving / untied.num_parameters(), 1) == 2.0 and not verdicts["tied"]["apart"]
assert verdicts["gelu"]["apart"] and verdicts["gelu"]["change"] > 0
assert not verdicts["nobias"]["apart"] and verdicts["nobias"]["lower_in"] == 3
assert round(100 * (untied.num_parameters() - no_bias.num_parameters())
             / untied.num_parameters()) == 1
mean_curve = lambda r: [sum(v) / len(v) for v in zip(*r["eval_val"])]
gap = [g - b for g, b in zip(mean_curve(by_name["gelu"]), mean_curve(base))]
print("GELU meno baseline, loss val media al passo",
      ", ".join(f"{s}: {d:+.3f}" for s, d in zip(base["eval_steps"], gap) if s % 300 == 0))
assert gap[-1] > 0.9 * max(gap)              # alla fine è ancora almeno il 90% del suo massimo

# %% [markdown] id=cell-103 en=9de5cb7a
# La distanza della GELU si è aperta nelle prime centinaia di passi e alla fine non si era
# ancora chiusa.
#
# **Che cosa possono dire queste esecuzioni, e che cosa no.** Ogni esecuzione è breve e
# piccola: i numeri qui sotto danno le sue dimensioni e quanto testo ha visto. I GPT
# successivi hanno introdotto queste modifiche per modelli molto più grandi, addestrati
# molto più a lungo, spesso insieme ad altre impostazioni (un learning rate e un warmup
# scelti apposta). Quindi un risultato ottenuto qui vale per questo modello, questa durata
# dell'addestramento e queste impostazioni. Che la GELU perda qui non dimostra che perda in
# GPT-2; che il tying e l'assenza di bias non mostrino differenze non dimostra che non ne
# facciano a una scala più grande. Per affermarlo servono esecuzioni a quella scala. Il file
# registra anche i secondi di ogni esecuzione, ma le esecuzioni condividevano una macchina
# carica, quindi non confrontiamo i loro tempi.

# %% id=cell-104 en=162a5f46
tr = gpt_changes["training"]
seen = tr["max_iters"] * tr["batch_size"] * gpt_changes["fixed_config"]["block_size"]
print(f"{base['params']:,} parametri; {tr['max_iters']:,} passi x {tr['batch_size']} x "
      f"{gpt_changes['fixed_config']['block_size']} = {seen:,} token di addestramento, "
      f"{seen / len(corpus.train_data):.1f} volte i {len(corpus.train_data):,} caratteri di addestramento")

# %% [markdown] id=cell-105 en=e7c76204
# ## Riepilogo
#
# - `GPTLanguageModel` è fatto di cinque parti in fila: embedding dei token + embedding
#   delle posizioni → `n_layer` blocchi → `ln_f` → `lm_head`; i dati conservano la forma
#   `(B, T, C)` finché `lm_head` non li porta a `(B, T, V)`.
# - `nn.Linear(in_features, out_features)` memorizza `weight` come
#   `(out_features, in_features)` e calcola $x W^\top + b$; l'esempio degli appunti dà
#   `[2.3, 2.7]`, non `[2.2, 2.8]`.
# - Quasi tutti i parametri stanno nei blocchi (circa $12C^2$ per blocco); puoi contarli
#   partendo solo dalla configurazione.
# - L'addestramento mostra una barra di avanzamento e le curve della loss; temperatura e
#   top-k scambiano un testo prudente con un testo vario; un checkpoint è fatto di tre file
#   che, ricaricati, danno logit identici.
# - Nello sweep (tre seed per dimensione), a parità di passi ogni raddoppio di `n_embd` ha
#   abbassato la loss val media, ma ognuno ha guadagnato meno del precedente: i primi tre
#   guadagni sono più di tre volte la dispersione tra i seed, l'ultimo è più piccolo. Una
#   differenza conta solo se gli intervalli dei seed non si sovrappongono; delle tre
#   modifiche dei GPT successivi provate su questo modello piccolo, solo la GELU ne ha data
#   una (una loss peggiore), e il tying ha risparmiato `vocab_size × n_embd` parametri.
#
# **Prossima lezione:** la [lezione 09: addestrare in grande](09_scaling_up.ipynb) esegue lo stesso
# addestramento dalla riga di comando, su una GPU quando c'è, e su più processi insieme.
