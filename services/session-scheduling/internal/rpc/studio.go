package rpc

import (
	"context"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

func policyStudio(field, name string) (string, error) {
	studio, ok := scheduling.ParsePolicyName(name)
	if !ok {
		return "", fault.InvalidField(field, "must be a policy name members/{base}/studios/{studio}/policy, got %q", name)
	}
	return studio, nil
}

func (s *Server) GetStudioPolicy(ctx context.Context, req *sessionv1.GetStudioPolicyRequest) (*sessionv1.StudioPolicy, error) {
	studio, err := policyStudio("name", req.GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	out, err := s.svc.GetStudioPolicy(withCaller(ctx), studio)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return policyToProto(out), nil
}

func (s *Server) UpdateStudioPolicy(ctx context.Context, req *sessionv1.UpdateStudioPolicyRequest) (*sessionv1.StudioPolicy, error) {
	if req.GetPolicy() == nil {
		return nil, fail(ctx, fault.InvalidField("policy", "is required"))
	}
	studio, err := policyStudio("policy.name", req.GetPolicy().GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	patch, err := policyFromProto(req.GetPolicy(), studio)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out, err := s.svc.UpdateStudioPolicy(withCaller(ctx), patch, req.GetUpdateMask().GetPaths(), req.GetPolicy().GetEtag(), req.GetCancelConflictingSessions())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return policyToProto(out), nil
}

func (s *Server) GetStudioUtilisation(ctx context.Context, req *sessionv1.GetStudioUtilisationRequest) (*sessionv1.GetStudioUtilisationResponse, error) {
	q := scheduling.UtilisationQuery{Studio: req.GetStudio(), Base: req.GetBase(), From: req.GetStartDate(), To: req.GetEndDate()}
	list, total, err := s.svc.GetStudioUtilisation(withCaller(ctx), q)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out := &sessionv1.GetStudioUtilisationResponse{Total: utilisationToProto(total)}
	for _, u := range list {
		out.Studios = append(out.Studios, utilisationToProto(u))
	}
	return out, nil
}
