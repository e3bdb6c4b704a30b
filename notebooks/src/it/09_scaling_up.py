# Il testo italiano di notebooks/src/09_scaling_up.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=4ef24b11
# # Lezione 09: addestrare in grande
#
# Hai addestrato un GPT sulla CPU del tuo portatile. Per addestrarne uno più grande serve
# più potenza di calcolo: una GPU, oppure più processi che lavorano insieme. Questa lezione
# ti mostra come. Il codice è lo stesso codice di `course_lib` che hai usato finora; cambia
# solo il comando che lo avvia.
#
# **Cosa imparerai**
# - come `course_lib` sceglie un dispositivo (`cuda`, poi `mps`, poi `cpu`) e come
#   sceglierne uno tu;
# - come `torchrun` avvia più processi e che cosa fa DistributedDataParallel (DDP);
# - che cosa cambia quando aggiungi processi (batch globale, token per passo, learning rate)
#   e che cosa no (il modello, la loss, il checkpoint);
# - quanto sono più veloci 2 processi rispetto a 1 su questa macchina, con una misura.
#
# **Prerequisiti:** [lezione 08: il GPT completo](08_full_gpt.ipynb), e il comando da
# terminale descritto nel README (`python -m course_lib.train`).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=ff89a0a0 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import json
import os
import tempfile

import torch

from course_lib import DATA_DIR, load_checkpoint, load_corpus
from course_lib.core.checkpoint import read_checkpoint_info
from course_lib.lessons.checks import check_steps_per_epoch, check_tokens_per_step
from course_lib.lessons.ddp_demo import run_torchrun
from course_lib.core.device import available_devices, pick_device
from course_lib.core.precision import SPEEDUP_NEEDED, native_bf16
from course_lib.lessons.plots import plot_scaling
from course_lib.lessons.widgets import scaling_calculator

torch.manual_seed(1337)
corpus = load_corpus()

# %% [markdown] id=cell-003 en=c4d23830
# ## Un solo comando, qualsiasi dispositivo
#
# `pick_device("auto")` restituisce il dispositivo migliore che ha questa macchina: una GPU
# NVIDIA (`cuda`), altrimenti una GPU Apple (`mps`), altrimenti la CPU. Il comando di
# addestramento accetta la stessa scelta come opzione: `--device auto` (il valore
# predefinito), `--device cpu`, `--device cuda`. L'output della cella successiva dipende
# dalla tua macchina.

# %% id=cell-004 en=2a46f9f5
# NBVAL_IGNORE_OUTPUT
print("dispositivi su questa macchina:", available_devices())
print("auto sceglie:", pick_device("auto"))

# %% [markdown] id=cell-005 en=cf630f4a
# Se chiedi un dispositivo che non c'è ottieni un errore chiaro, non un crash nel profondo
# di PyTorch:

# %% [markdown] id=cell-007 en=478af347
# Che cosa cambia su una GPU? Il modello e il ciclo di addestramento no. `course_lib.train`
# sposta ogni batch sul dispositivo del modello. Il comando di addestramento può anche
# eseguire il forward in **autocast bfloat16**: i prodotti fra matrici si calcolano con
# numeri a 16 bit, mentre i pesi e l'ottimizzatore restano in float32. Lo fa solo dove è
# più veloce. Con `--precision
# auto` (il valore predefinito del comando) prima chiede se il
# dispositivo calcola il bfloat16 in hardware: su una GPU CUDA,
# `torch.cuda.is_bf16_supported()`; su una CPU, le istruzioni AVX512-BF16 o AMX. Se sì,
# cronometra qualche passo di addestramento nei due modi e sceglie il bfloat16 solo se è
# più veloce almeno di tanto:

# %% id=cell-008 en=e5a4490f
print(f"il bfloat16 viene scelto se è almeno {SPEEDUP_NEEDED:.2f}x più veloce del float32")

# %% [markdown] id=cell-009 en=9bf4d60c
# Altrimenti ogni numero resta in float32. Con `--precision fp32` o `--precision bf16`
# decidi tu. Che cosa risponde il dispositivo di questa macchina (l'output dipende dalla tua
# macchina):

# %% [markdown] id=cell-011 en=9a67bafc
# I comandi (eseguili in un terminale, dalla cartella principale del repository): il primo
# addestra su una GPU; il secondo avvia 2 processi su questa CPU, ognuno con i suoi batch
# (backend gloo); il terzo usa 8 GPU in una macchina, un processo per GPU (backend nccl).
#
# ```bash
# # one GPU
# python -m course_lib.train --device cuda --out checkpoints/gpu \
#     --n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --batch-size 64
# # 2 processes on this CPU, each with its own batches (gloo backend)
# torchrun --standalone --nproc_per_node=2 -m course_lib.train --out checkpoints/ddp
# # 8 GPUs in one machine, one process per GPU (nccl backend)
# torchrun --standalone --nproc_per_node=8 -m course_lib.train --device cuda --out checkpoints/big
# ```

# %% [markdown] id=cell-012 en=8f098a64
# ## Che cosa fanno torchrun e DDP
#
# `torchrun --nproc_per_node=N` avvia N copie dello stesso programma. A ciascuna dà un
# **rank** (da 0 a N−1) e dice come trovare le altre. `course_lib.train` se ne accorge e
# allora:
#
# 1. entra nel gruppo di processi: `gloo` sulle CPU, `nccl` sulle GPU NVIDIA;
# 2. costruisce il modello con lo stesso seed in ogni processo;
# 3. lo avvolge in `DistributedDataParallel`. Quando avvolge il modello, DDP copia i pesi
#    del rank 0 in tutti gli altri processi (un broadcast), così tutti i processi partono
#    dagli stessi pesi anche se i loro seed erano diversi. Dopo `loss.backward()`, DDP fa la
#    media dei gradienti di tutti i processi, così ogni processo fa lo **stesso** passo
#    dell'ottimizzatore;
# 4. estrae i batch da un generatore inizializzato con `seed + rank`, così ogni processo
#    vede un testo diverso;
# 5. lascia stampare, valutare e salvare il checkpoint solo al rank 0.
#
# Il broadcast del punto 3 si vede facilmente. Il piccolo programma qui sotto dà apposta a
# ogni processo un seed diverso, costruisce un `nn.Linear` e confronta i pesi dei due
# processi prima e dopo che `DDP(...)` lo avvolge.

# %% id=cell-013 en=eb3948dd
broadcast_demo = """
import os, sys
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
dist.init_process_group("gloo")
torch.manual_seed(dist.get_rank())          # un seed diverso in ogni processo, apposta
model = torch.nn.Linear(4, 4)
before = model.weight.detach().clone()
DDP(model)                                  # avvolgendo il modello, i pesi del rank 0 vanno a tutti
after = model.weight.detach().clone()
seen = {k: [torch.empty_like(t) for _ in range(2)] for k, t in (("before", before), ("after", after))}
dist.all_gather(seen["before"], before)
dist.all_gather(seen["after"], after)
if dist.get_rank() == 0:
    print("prima di DDP, i 2 processi hanno gli stessi pesi:", torch.equal(*seen["before"]))
    print("dopo DDP, i 2 processi hanno gli stessi pesi:    ", torch.equal(*seen["after"]))
    print("dopo DDP, sono i pesi del rank 0:", torch.equal(seen["after"][1], before))
dist.destroy_process_group()
# usciamo qui, senza lo spegnimento di Python: i thread di gloo possono ancora tenere dei
# tensori, e liberarli allo spegnimento ogni tanto fa abortire il processo (SIGABRT)
sys.stdout.flush()
os._exit(0)
"""
demo_file = os.path.join(tempfile.mkdtemp(prefix="course_ddp_broadcast_"), "broadcast.py")
with open(demo_file, "w", encoding="utf-8") as f:
    f.write(broadcast_demo)

# %% id=cell-014 en=29b5062a
result = run_torchrun([demo_file])    # un thread per processo, su 127.0.0.1
print(result.stdout.strip() if result.ok else result.summary)

# %% [markdown] id=cell-015 en=e273b89c
# Dato che ogni processo applica lo stesso gradiente medio, i loro pesi restano identici.
# Il comando lo verifica alla fine. Ecco un'esecuzione vera: 2 processi, un modello
# minuscolo, 30 passi. Chiede `--precision fp32`: il valore predefinito, `auto`, cronometra
# il bfloat16 contro il float32 su questa CPU e tiene il più veloce, quindi su una macchina
# carica due esecuzioni potrebbero calcolare con precisioni diverse e finire con loss
# diverse.

# %% [markdown] id=cell-017 en=3c8f508b
# Il log mostra una riga per messaggio, non due: il rank 1 si addestra in silenzio. La
# storia della loss di un'esecuzione DDP ha la stessa forma di quella di un processo solo
# (una loss media per passo, mediata sui processi), e il suo checkpoint si carica in un
# solo processo come qualsiasi altro:

# %% id=cell-018 en=24204846
if train.ok:
    ddp_model, _ = load_checkpoint(out_dir)
    print(type(ddp_model).__name__, f"{ddp_model.num_parameters():,} parametri, caricato in un solo processo")
    final = read_checkpoint_info(out_dir)["extra"]
    # due decimali: le ultime cifre di un addestramento cambiano da una CPU all'altra
    print(f"le sue loss finali: train {final['train_loss']:.2f}, val {final['val_loss']:.2f}")
else:
    print("nessun checkpoint da caricare: l'esecuzione qui sopra non è finita")

# %% [markdown] id=cell-019 en=be92e375
# ## Che cosa cambia quando aggiungi processi
#
# Ogni processo legge a ogni passo `batch_size` sequenze di `block_size` token. Con N
# processi un passo vede N volte più testo:
#
# $$\text{batch globale} = \text{batch\_size} \times N, \qquad
#   \text{token per passo} = \text{batch\_size} \times \text{block\_size} \times N.$$
#
# Quindi, con le stesse opzioni, N processi fanno **meno passi** per vedere tutto il corpus,
# e ogni passo fa la media su più esempi: il suo gradiente è meno rumoroso. Spesso allora
# puoi alzare un po' il learning rate; il corso non lo fa al posto tuo.
#
# ### Esercizio 1: token per passo
#
# Scrivi `my_tokens_per_step(batch_size, block_size, nproc)`.

# %% id=cell-020 en=b8cb049f
def my_tokens_per_step(batch_size, block_size, nproc):
    # TODO: quanti token vede un passo di ottimizzazione, contando tutti i processi?
    raise NotImplementedError


check_tokens_per_step(my_tokens_per_step)

# %% [markdown] id=cell-022 en=f6c7108b
# ### Esercizio 2: i passi per un giro sui dati
#
# Scrivi `my_steps_per_epoch(n_tokens, batch_size, block_size, nproc)`: quanti passi servono
# per vedere una volta `n_tokens` token? Un passo riempito solo in parte conta comunque come
# un passo.

# %% id=cell-023 en=0716993a
def my_steps_per_epoch(n_tokens, batch_size, block_size, nproc):
    # TODO: usa i token per passo, e arrotonda per eccesso
    raise NotImplementedError


check_steps_per_epoch(my_steps_per_epoch)

# %% [solution] id=cell-024 en=d35edea6
def solution_steps_per_epoch(n_tokens, batch_size, block_size, nproc):
    per_step = batch_size * block_size * nproc
    return -(-n_tokens // per_step)          # divisione arrotondata per eccesso, fra interi


check_steps_per_epoch(solution_steps_per_epoch)

# %% [markdown] id=cell-025 en=5d97f86d
# ## Misurato: 1 processo contro 2 processi su questa CPU
#
# `scripts/measure_scaling.py` addestra lo stesso modello (4 layer, `n_embd` 128) per lo
# stesso numero di passi con lo stesso batch per processo, una volta come 1 processo che
# usa tutti i core e una volta come 2 processi sotto torchrun, ciascuno con metà dei core.
# Esegue la coppia tre volte, una dopo l'altra, e tiene la mediana di ciascuna, perché la
# velocità di una macchina condivisa cambia da un momento all'altro. Puoi rifare la misura
# con `python scripts/measure_scaling.py` (il tempo di addestramento che ha richiesto è
# stampato qui sotto; l'avvio dei processi aggiunge ancora un po').

# %% id=cell-026 en=22286840
scaling = json.loads((DATA_DIR / "scaling_cpu.json").read_text())
print("misurato su:", scaling["machine"])
for r in scaling["runs"]:
    print(f"{r['processes']} processo/i x {r['threads_per_process']} thread: "
          f"{r['tokens_per_second']:>7,} token/s   loss di val dopo {r['steps']} passi: "
          f"{r['val_loss']:.3f}")
    print(f"    (la mediana di {scaling['repeats']} esecuzioni: "
          f"{', '.join(f'{t:,}' for t in r['tokens_per_second_all'])} token/s)")
one, two = scaling["runs"]
ratio = two["tokens_per_second"] / one["tokens_per_second"]
print(f"2 processi / 1 processo = {ratio:.2f}x token al secondo")
print(f"tempo di addestramento di un'esecuzione di ciascuno: {sum(r['seconds'] for r in scaling['runs']):.0f} s, "
      f"ripetuto {scaling['repeats']} volte")

# %% [markdown] id=cell-028 en=24f4e03f
# Leggi questi numeri con attenzione. Le due esecuzioni avevano gli stessi core, quindi
# qui non c'è motivo di aspettarsi un 2x: i 2 processi si dividono gli stessi core, e in più
# spendono tempo a fare la media dei gradienti. Quello che DDP offre è la possibilità di
# usare **più** hardware: su una macchina con 2 GPU, o su 2 macchine, ogni processo porta
# la sua potenza di calcolo.
#
# Anche le loss di val sono diverse. Nei suoi 200 passi l'esecuzione con 2 processi ha
# visto il doppio dei token, ognuno dei suoi passi ha fatto la media dei gradienti del
# doppio delle sequenze, e i suoi batch erano altri. Questa misura non dice quale di queste
# differenze abbia contato, né quanto sia soltanto il rumore di una singola esecuzione.

# %% id=cell-029 en=29471bd4
if scaling["gpu"] is None:
    print("Quando sono state fatte queste misure non c'era una GPU: questa lezione mostra "
          "solo misure su CPU. Esegui i comandi qui sopra su una macchina con GPU per aggiungere le tue.")
else:
    print(scaling["gpu"])

# %% [markdown] id=cell-030 en=d5aae671
# ## Prova tu: processi, batch e tempo
#
# Muovi gli slider. Il batch globale e i token per passo crescono con entrambi gli slider;
# i passi per un giro sul testo di addestramento diminuiscono. Il tempo è mostrato per i
# numeri di processi misurati su questa macchina; con un'altra dimensione del batch è una
# stima (il tempo di un passo riscalato con il batch), e il widget lo segnala.

# %% [markdown] id=cell-032 en=fe417179
# ## Riepilogo
#
# - Lo stesso codice di `course_lib` gira su una CPU, su una GPU (`--device cuda`, con
#   l'autocast bfloat16 dove il dispositivo lo supporta e una misura dei tempi lo trova più
#   veloce) e su più processi (`torchrun --nproc_per_node=N -m course_lib.train`).
# - DDP fa la media dei gradienti di tutti i processi, così i loro pesi restano identici;
#   ogni processo legge batch diversi, e solo il rank 0 scrive il log, valuta e salva.
# - Con N processi il batch globale e i token per passo sono N volte più grandi, e un giro
#   sui dati richiede N volte meno passi.
# - Su una sola macchina i processi si dividono i suoi core: qui 2 processi hanno dato solo
#   il guadagno stampato sopra. Per un guadagno grande ogni processo deve portare la sua GPU
#   o la sua macchina.
#
# **Prossima lezione:** [lezione 10: i token subword](10_subword_tokens.ipynb) sostituisce
# i caratteri con token byte-pair, il tipo di tokenizer che usa GPT-2. Oppure addestra
# subito un modello tuo su un altro testo, con
# `python -m course_lib.train --corpus your_text.txt`.
