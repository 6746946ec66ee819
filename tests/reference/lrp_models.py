"""ImageNet architectures with random weights (seed 0) exported to ONNX for the modified-backprop
tests: VGG-16, ResNet-50, Inception v3 and DenseNet-121, plus two inputs each and their logits.
Each model is built and exported only if its file is missing (VGG-16 is a 550 MB file)."""
import os

import torch

import common


def main():
    out = common.out_dir()
    for name in ("resnet50", "inception_v3", "densenet121", "vgg16"):
        path = os.path.join(out, f"{name}.onnx")
        x = common.make_input(name, 2)
        if not os.path.exists(path) or not os.path.exists(os.path.join(out, f"{name}_logits.npy")):
            model = common.make_model(name, 0)
            common.export(model, name, path)
            with torch.no_grad():
                common.save(out, f"{name}_logits.npy", model(x))
            del model
        common.save(out, f"{name}_input.npy", x)


if __name__ == "__main__":
    main()
