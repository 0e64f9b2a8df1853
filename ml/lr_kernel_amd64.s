//go:build !purego

#include "textflag.h"

// The products of a multinomial LogisticRegression evaluation on many
// features, 16 classes wide (lr_kernel.go). Each output value is one
// chain, in order, of a rounded multiply then a rounded add (VMULPD,
// VADDPD: never fused), which is the sum gonum's Dgemm forms.

// Y0..Y3 are one output row of 16 values; Y4 holds x broadcast, and R9
// points at the row of 16 it multiplies.
#define ZERO16 VXORPD Y0, Y0, Y0; VXORPD Y1, Y1, Y1; VXORPD Y2, Y2, Y2; VXORPD Y3, Y3, Y3
#define MULADD16 \
	VMULPD (R9), Y4, Y5; VADDPD Y5, Y0, Y0; \
	VMULPD 32(R9), Y4, Y6; VADDPD Y6, Y1, Y1; \
	VMULPD 64(R9), Y4, Y7; VADDPD Y7, Y2, Y2; \
	VMULPD 96(R9), Y4, Y8; VADDPD Y8, Y3, Y3
#define STORE16 VMOVUPD Y0, (DI); VMOVUPD Y1, 32(DI); VMOVUPD Y2, 64(DI); VMOVUPD Y3, 96(DI)

// func lrScores16(x []float64, d int, wp []float64, zp []float64, rows int)
TEXT ·lrScores16(SB), NOSPLIT, $0-88
	MOVQ x_base+0(FP), SI
	MOVQ d+24(FP), CX
	MOVQ wp_base+32(FP), DX
	MOVQ zp_base+56(FP), DI
	MOVQ rows+80(FP), BX
	TESTQ BX, BX
	JE   scores_done

scores_row:
	ZERO16
	MOVQ   DX, R9
	MOVQ   CX, R8
	TESTQ  R8, R8
	JE     scores_store

scores_feature:
	VBROADCASTSD (SI), Y4
	MULADD16
	ADDQ         $8, SI
	ADDQ         $128, R9
	DECQ         R8
	JNE          scores_feature

scores_store:
	STORE16
	ADDQ    $128, DI
	DECQ    BX
	JNE     scores_row

scores_done:
	VZEROUPPER
	RET

// func lrGrad16(x []float64, d int, rp []float64, g []float64, rows int)
TEXT ·lrGrad16(SB), NOSPLIT, $0-88
	MOVQ x_base+0(FP), SI
	MOVQ d+24(FP), CX
	MOVQ rp_base+32(FP), DX
	MOVQ g_base+56(FP), DI
	MOVQ rows+80(FP), BX
	MOVQ CX, R10
	SHLQ $3, R10
	TESTQ CX, CX
	JE   grad_done

grad_column:
	ZERO16
	MOVQ   SI, R11
	MOVQ   DX, R9
	MOVQ   BX, R8
	TESTQ  R8, R8
	JE     grad_store

grad_row:
	VBROADCASTSD (R11), Y4
	MULADD16
	ADDQ         R10, R11
	ADDQ         $128, R9
	DECQ         R8
	JNE          grad_row

grad_store:
	STORE16
	ADDQ    $128, DI
	ADDQ    $8, SI
	DECQ    CX
	JNE     grad_column

grad_done:
	VZEROUPPER
	RET
