"""Quickstart: Adebayo et al.'s cascading randomization of a small PyTorch CNN from Python.
Trains the CNN on 6,000 MNIST images (about 10 s in all on two cores), randomizes its layers from the top,
and plots how similar each method's maps stay to the trained model's; writes
runs/quickstart/cascading.png (and the study, resumable, in runs/quickstart/).
Integrated Gradients' curve stays near 1: with the zero baseline its maps are the input times an
averaged gradient, zero on MNIST's black background whatever the weights, so the input's shape, not
the model, sets most of their ranks (Adebayo et al.'s point about Gradient x Input).
Run: python3 examples/python_quickstart.py   (after the README's set-up; MNIST from its cache)"""
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt, torch, sanity
from torch import nn

x, y = sanity.data("mnist", split="train", count=6000)      # NumPy: 6000 x 1 x 28 x 28, labels
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.Adam(net.parameters(), 2e-3)
for epoch in range(3):
    for i in range(0, len(x), 64):
        loss = nn.functional.cross_entropy(net(torch.from_numpy(x[i:i + 64])), torch.from_numpy(y[i:i + 64]))
        opt.zero_grad(), loss.backward(), opt.step()
test, _ = sanity.data("mnist", count=100)                     # 100 test images
df, store = sanity.check(net, test, "gradient,guided_backprop,integrated_gradients,smoothgrad(gradient)",
                         checks="cascading", metrics="spearman_abs", out="runs/quickstart")
curves = df[df.metric == "spearman_abs"].groupby(["method", "stage"]).value.mean().unstack(0)
ax = curves.plot(marker="o", ylim=(-0.05, 1.05), title="cascading randomization (Adebayo et al. 2018)")
ax.set(xlabel="layers randomized from the output", ylabel="Spearman |rank corr.| with trained maps",
       xticks=curves.index)
plt.savefig("runs/quickstart/cascading.png", dpi=120, bbox_inches="tight"); print("wrote runs/quickstart/cascading.png")
