"""PyTorch's tutorial "Sequence Models and Long Short-Term Memory Networks", line for line in lstmx.

    python examples/lstm_tagger_tutorial.py

The tutorial (pytorch/tutorials, beginner_source/nlp/sequence_models_tutorial.py, by Robert
Guthrie) has two parts, and so has this script:

1. An LSTM stepped one element at a time, then run over the whole sequence at once; the last
   output equals the final hidden state. lstmx is batch-first: where PyTorch's input is
   ``(seq_len, batch, features)`` and its state ``(num_layers, batch, H)``, lstmx's input is
   ``(batch, seq_len, features)`` and its state ``(batch, H)``. The shapes are printed at each line.
2. The part-of-speech tagger on the two toy sentences: Embedding -> LSTM -> a linear layer to the
   tags, trained with SGD(0.1) for 300 epochs, one sentence a step; the tag scores of the first
   sentence before and after training, and the predicted sequence, 0 1 2 0 1 (DET NN V DET NN).

Differences, on purpose: PyTorch ends with ``log_softmax`` and ``NLLLoss``; lstmx's ``Dense(...,
"softmax")`` with ``sparse_categorical_crossentropy`` is the same loss (its gradient is computed from
the logits), and the scores printed are the log of the softmax, as the tutorial's are. The weights
start from Keras's initialisation (Glorot, orthogonal, forget bias 1), not PyTorch's, so the
numbers differ from the tutorial's printout; the predicted sequence does not.
"""
import numpy as np

import lstmx

np.set_printoptions(precision=4, suppress=True)

######################################################################
# LSTMs in lstmx: step by step, or the whole sequence at once

rng = np.random.default_rng(1)                  # torch.manual_seed(1)

lstm = lstmx.LSTM(3, return_sequences=True, return_state=True, seed=1)  # Input dim is 3, output dim is 3
inputs = [rng.standard_normal((1, 3)).astype(np.float32) for _ in range(5)]  # a sequence of length 5
print("inputs: 5 arrays of shape", inputs[0].shape, "(batch, features)")

# initialize the hidden state: [h, c], each (batch, H) (PyTorch: (num_layers, batch, H))
hidden = [rng.standard_normal((1, 3)).astype(np.float32), rng.standard_normal((1, 3)).astype(np.float32)]
start = [s.copy() for s in hidden]
for i in inputs:
    # Step through the sequence one element at a time.
    # after each step, hidden contains the hidden state.
    out, *hidden = lstm(i[:, None, :], initial_state=hidden)   # i[:, None, :]: (batch, 1 step, features)
print("one step at a time: out", out.shape, "(batch, 1 step, H); h", hidden[0].shape, "c", hidden[1].shape)
stepped = hidden

# alternatively, we can do the entire sequence all at once.
# the first value returned by the LSTM is all of the hidden states throughout
# the sequence. the second and third are the most recent hidden state and cell state
# (compare the last slice of "out" with "hidden" below, they are the same)
# The reason for this is that:
# "out" will give you access to all hidden states in the sequence
# "hidden" will allow you to continue the sequence and backpropagate,
# by passing it as initial_state to the lstm at a later time
inputs = np.stack(inputs, axis=1)                # (batch, seq_len, features): lstmx is batch-first
print("whole sequence: inputs", inputs.shape, "(batch, seq_len, features)")
out, *hidden = lstm(inputs, initial_state=start)  # the same starting state as the steps above
print("out", out.shape, "(batch, seq_len, H); h", hidden[0].shape, "c", hidden[1].shape)
print(out)
print(hidden)
print("last output == final h:", np.array_equal(out[:, -1], hidden[0]),
      "| whole sequence == stepped:", all(np.allclose(a, b, atol=1e-6) for a, b in zip(hidden, stepped)))


######################################################################
# Example: An LSTM for Part-of-Speech Tagging

def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return np.array([idxs], dtype=np.int32)      # (batch of 1, seq_len)


training_data = [
    # Tags are: DET - determiner; NN - noun; V - verb
    # For example, the word "The" is a determiner
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])
]
word_to_ix = {}
# For each words-list (sentence) and tags-list in each tuple of training_data
for sent, tags in training_data:
    for word in sent:
        if word not in word_to_ix:  # word has not been assigned an index yet
            word_to_ix[word] = len(word_to_ix)  # Assign each word with a unique index
print(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}  # Assign each tag with a unique index

# These will usually be more like 32 or 64 dimensional.
# We will keep them small, so we can see how the weights change as we train.
EMBEDDING_DIM = 6
HIDDEN_DIM = 6


######################################################################
# Create the model: a graph of three layers, each sentence a batch of one.

def LSTMTagger(embedding_dim, hidden_dim, vocab_size, tagset_size):
    sentence = lstmx.Input((None,), dtype="int32", name="sentence")       # (1, seq_len) word ids
    embeds = lstmx.Embedding(vocab_size, embedding_dim, seed=1, name="word_embeddings")(sentence)
    # The LSTM takes word embeddings as inputs, and outputs hidden states
    # with dimensionality hidden_dim.
    lstm_out = lstmx.LSTM(hidden_dim, return_sequences=True, seed=2, name="lstm")(embeds)   # (1, seq_len, H)
    # The linear layer that maps from hidden state space to tag space (and the softmax)
    tag_probs = lstmx.Dense(tagset_size, "softmax", seed=3, name="hidden2tag")(lstm_out)  # (1, seq_len, tags)
    return lstmx.Model(sentence, tag_probs, name="lstm_tagger")


######################################################################
# Train the model:

model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
# NLLLoss of log_softmax == sparse categorical cross-entropy of the softmax
model.compile(loss="sparse_categorical_crossentropy", optimizer=lstmx.SGD(learning_rate=0.1))
model.summary()

# See what the scores are before training
# Note that element i,j of the output is the score for tag j for word i.
inputs = prepare_sequence(training_data[0][0], word_to_ix)
tag_scores = np.log(model.predict(inputs)[0])     # log_softmax, (seq_len, tags)
print(tag_scores)

for epoch in range(300):  # again, normally you would NOT do 300 epochs, it is toy data
    for sentence, tags in training_data:
        # Step 1. lstmx computes fresh gradients at each step: nothing to zero.
        # The LSTM starts each sentence from a zero state unless given initial_state.

        # Step 2. Get our inputs ready for the network, that is, turn them into
        # arrays of word indices.
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)

        # Steps 3 and 4. Run the forward pass, compute the loss and the gradients,
        # and update the parameters: one call.
        loss = model.train_on_batch(sentence_in, targets)

# See what the scores are after training
inputs = prepare_sequence(training_data[0][0], word_to_ix)
tag_scores = np.log(model.predict(inputs)[0])
# The sentence is "the dog ate the apple".  i,j corresponds to score for tag j
# for word i. The predicted tag is the maximum scoring tag.
# Here, we can see the predicted sequence below is 0 1 2 0 1
# since 0 is index of the maximum value of row 1,
# 1 is the index of maximum value of row 2, etc.
# Which is DET NOUN VERB DET NOUN, the correct sequence!
print(tag_scores)
print("loss of the last step:", round(float(loss), 4))
print("predicted sequence:", " ".join(str(j) for j in tag_scores.argmax(axis=1)))
